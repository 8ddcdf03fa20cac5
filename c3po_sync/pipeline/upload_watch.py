"""What this product uploaded to the hub's libraries (the workbook, the dashboard) and whether
it is still there as uploaded, on the evidence of the hub's change log read that night."""

from __future__ import annotations

from typing import Any

from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.quiet import HubWatch, hub_token, unknown_on_error

PUBLISHED = "hub:published"  # checkpoint: library roots and the dashboard last uploaded


def _published(ctx: RunContext) -> dict[str, Any]:
    value = ctx.store.get_checkpoint(PUBLISHED)
    return value if isinstance(value, dict) else {}


def _hub_structure_known(ctx: RunContext, state: dict[str, Any]) -> HubWatch | None:
    """This run's watch when its change log was read and shows no list or field changed on
    the hub since ``state`` was recorded; else None."""
    watch = ctx.hub_watch
    if watch is None or watch.changes is None or state.get("epoch") != watch.epoch:
        return None
    return watch


def known_root(ctx: RunContext, library: str) -> str | None:
    """The library's root folder as an upload last returned it, while the hub's change log
    (read this run) shows no list or field changed on the hub since; else None (read it)."""
    state = _published(ctx)
    if _hub_structure_known(ctx, state) is None:
        return None
    root = (state.get("roots") or {}).get(library)
    return str(root) if root else None


def library_untouched(ctx: RunContext, library: str) -> bool:
    """The hub's change log, read this run, shows no change to ``library``'s files since the
    last run that reached the uploads but this product's own uploads (counted): what it
    uploaded there is still there as uploaded."""
    state = _published(ctx)
    watch = _hub_structure_known(ctx, state)
    list_id = (state.get("ids") or {}).get(library)
    if watch is None or not list_id or not state.get("token") or state["token"] != watch.since:
        return False
    ours = (state.get("uploads") or {}).get(library)
    logs = [watch.changes, *([watch.after] if watch.after is not None else [])]
    rows = sum(changes.item_rows.get(str(list_id), 0) for changes in logs if changes)
    return ours is not None and rows == int(ours)


def note_upload(ctx: RunContext, library: str, url: str, **shown: Any) -> None:
    """One file uploaded to ``library`` at ``url`` this run; ``shown``: what it shows (the
    dashboard's digest), kept with the run's uploads by :func:`remember_uploads`."""
    watch = ctx.hub_watch
    if watch is None:
        return
    watch.uploaded[library] = watch.uploaded.get(library, 0) + 1
    watch.upload_urls[library] = url
    watch.published.update(shown)


def remember_uploads(ctx: RunContext) -> None:
    """After a step's uploads, or a run that found its uploads still as they were (not in a
    dry run): each library's root folder (from a URL uploaded there), how many files this run
    put there, where the hub's change log stands, and what the uploads show, for the next run.
    """
    watch = ctx.hub_watch
    if ctx.dry_run or watch is None:
        return
    state = _published(ctx)
    token = hub_token(ctx)
    if token is None:  # the hub's position is not kept: the next run cannot vouch for these
        ctx.store.set_checkpoint(PUBLISHED, {})
        return
    same = state.get("epoch") == watch.epoch
    roots = dict(state.get("roots") or {}) if same else {}
    ids = dict(state.get("ids") or {}) if same else {}
    for library, url in watch.upload_urls.items():
        roots[library] = url.rsplit("/", 1)[0]
    hub_log = ctx.ports.hub_changes
    if hub_log is not None and any(lib not in ids for lib in watch.uploaded):
        # once while the hub's lists stay as they are
        titles = unknown_on_error(hub_log.list_ids) or {}
        ids.update(
            {lib: titles[lib.casefold()] for lib in watch.uploaded if lib.casefold() in titles}
        )
    uploads = {lib: watch.uploaded.get(lib, 0) for lib in {*ids, *watch.uploaded}}
    ctx.store.set_checkpoint(
        PUBLISHED,
        {
            **state,
            **watch.published,
            "epoch": watch.epoch,
            "roots": roots,
            "ids": ids,
            "token": token,
            "uploads": uploads,
        },
    )


def published(ctx: RunContext, key: str) -> Any:
    return _published(ctx).get(key)
