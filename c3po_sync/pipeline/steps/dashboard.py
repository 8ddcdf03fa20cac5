"""Dashboard: the static pages for the council and the public, built with every rollup and
council report (audit rec 9's "public dashboard").

Internal page: saved owner-only under output_dir and uploaded to the hub library. Public page,
JSON and CSV: the same, and also written to ``dashboard.web_dir`` for a web server. A dry run
builds the pages (so a broken page fails the dry run too) but writes and uploads nothing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from c3po_sync.pipeline.context import RunContext
from c3po_sync.pipeline.upload_watch import known_root, library_untouched, note_upload, published
from c3po_sync.private_files import private_dir
from c3po_sync.rules.intake import OUTCOMES
from c3po_sync.sinks.dashboard_data import DashboardData, dashboard_data, public_view
from c3po_sync.sinks.dashboard_export import public_csv, public_json
from c3po_sync.sinks.dashboard_html import render_page

log = logging.getLogger(__name__)

INTERNAL_PAGE = "C3PO Dashboard (internal).html"
PUBLIC_PAGE = "C3PO Dashboard.html"
PUBLIC_JSON = "c3po-dashboard.json"
PUBLIC_CSV = "c3po-dashboard-projects.csv"
WEB_INDEX = "index.html"
UPLOADS = 4  # the two pages, the JSON and the CSV: what each build uploads to the hub
DIGEST = "dashboard"  # what the hub's copy shows, but its dates (upload_watch.published)


def dashboard_library(ctx: RunContext) -> str:
    settings = ctx.inputs.settings
    return settings.dashboard.library or settings.rollups_library


def dashboard_link(ctx: RunContext) -> str | None:
    """Absolute URL of the internal page in the hub library (for the Portfolio list).

    The library's root folder is the one the last upload returned while the hub's change log
    shows no list changed since; else the file sink's when it can say (one request, cached
    for the upload that follows); else the library title is taken as its URL segment.
    """
    settings = ctx.inputs.settings
    if not settings.dashboard.enabled:
        return None
    library = dashboard_library(ctx)
    folder = known_root(ctx, library) or f"{settings.hub_site}/{library}"
    root_of = getattr(ctx.ports.file_sink, "root_folder", None)
    if callable(root_of) and known_root(ctx, library) is None:
        try:
            folder = root_of(library)
        except Exception as exc:  # the hub's own failure is the list writes' to report
            log.info("dashboard link: library root not read (%s); assuming %s", exc, folder)
    return f"{settings.tenant.base_url}{quote(str(folder).rstrip('/'))}/{quote(INTERNAL_PAGE)}"


def _intake_counts(ctx: RunContext) -> dict[str, int] | None:
    summary = ctx.result.intake
    if summary is None:
        return None
    counts = {o: int(summary.by_outcome.get(o, 0)) for o in OUTCOMES}
    return {**counts, "late": summary.engaged_late, "requests": summary.requests}


def shown_digest(*pages: DashboardData) -> str:
    """What the pages show, their dates left out: the SHA-256 of
    ``repr([replace(p, generated_at="", as_of=date.min) for p in pages])``, fed to the hash a
    row at a time. The whole repr at four times the city's size was a 20 MB string made beside
    the pages, the rollup's peak (issue 16); the digest is the same, so a stored one still
    matches (tests/pipeline/test_dashboard_digest.py)."""
    h = hashlib.sha256()
    h.update(b"[")
    for i, page in enumerate(pages):
        page = replace(page, generated_at="", as_of=date.min)
        h.update(f"{', ' if i else ''}{type(page).__qualname__}(".encode())
        for j, f in enumerate(f for f in fields(page) if f.repr):
            value = getattr(page, f.name)
            h.update(f"{', ' if j else ''}{f.name}=".encode())
            if type(value) is list:
                h.update(b"[")
                for k, item in enumerate(value):
                    h.update(f"{', ' if k else ''}{item!r}".encode())
                h.update(b"]")
            else:
                h.update(repr(value).encode())
        h.update(b")")
    h.update(b"]")
    return h.hexdigest()


def publish_dashboard(ctx: RunContext, changes: pd.DataFrame | None, since: str) -> str | None:
    """Builds both pages and the public data; saves, publishes and uploads them (not in a dry
    run). Returns the internal page's hub URL (None when the dashboard is disabled)."""
    settings = ctx.inputs.settings
    cfg = settings.dashboard
    if not cfg.enabled:
        return None
    data = dashboard_data(
        ctx.current_tables(),
        ctx.findings_history(),
        rules=ctx.inputs.rules,
        today=ctx.inputs.today,
        title=cfg.title,
        generated_at=ctx.as_of.astimezone(ctx.tz).isoformat(timespec="minutes"),
        changes=changes,
        changes_since=since,
        intake=_intake_counts(ctx),
    )
    public = public_view(data, cfg.public)
    # The hub's copy is uploaded again only when what it shows changed, not its dates alone.
    digest = shown_digest(data, public)
    files = {
        INTERNAL_PAGE: render_page(data).encode("utf-8"),
        PUBLIC_PAGE: render_page(public).encode("utf-8"),
        PUBLIC_JSON: public_json(public),
        PUBLIC_CSV: public_csv(public),
    }
    web = {
        WEB_INDEX: files[PUBLIC_PAGE],
        PUBLIC_JSON: files[PUBLIC_JSON],
        PUBLIC_CSV: files[PUBLIC_CSV],
    }
    library = dashboard_library(ctx)
    out_dir = settings.resolve(settings.output_dir) / "dashboard"
    web_dir = settings.resolve(cfg.web_dir or settings.output_dir / "dashboard-web")
    if ctx.dry_run:
        ctx.result.planned.append(f"would save dashboard pages in {out_dir}")
        ctx.result.planned.append(f"would publish the public page, CSV and JSON in {web_dir}")
        ctx.result.planned.append(f"would upload {len(files)} dashboard files to {library!r}")
        return None
    saved = private_dir(out_dir)  # the internal page names people and findings
    for name, content in files.items():
        (saved / name).write_bytes(content)
    ctx.result.dashboard.append(("internal page", saved / INTERNAL_PAGE))
    web_dir.mkdir(parents=True, exist_ok=True)
    for name, content in web.items():
        (web_dir / name).write_bytes(content)
    ctx.result.dashboard.append(("public page, CSV and JSON", web_dir / WEB_INDEX))
    last = published(ctx, DIGEST) or {}
    same = last.get("digest") == digest and library_untouched(ctx, library)
    url = last.get("url") if same else None
    if url:
        ctx.result.skipped.append(
            f"dashboard upload: the hub's copy shows the same figures ({last.get('as_of')})"
        )
    else:
        shown = {"digest": digest, "url": None, "as_of": ctx.inputs.today.isoformat()}
        for name, content in files.items():
            uploaded = ctx.ports.file_sink.upload(library, name, content)
            if name == INTERNAL_PAGE:
                url = shown["url"] = uploaded
            note_upload(ctx, library, uploaded, **{DIGEST: shown})
    ctx.result.dashboard.append(("uploaded, with the public files beside it", str(url)))
    log.info("dashboard: %d major projects, %d changes", len(data.projects), len(data.changes))
    return f"{settings.tenant.base_url}{quote(str(url))}" if url else None


def saved_pages(out_dir: Path) -> list[Path]:
    """The dashboard files a run saved under ``out_dir`` (for `c3po-sync demo`)."""
    folder = out_dir / "dashboard"
    return [folder / n for n in (INTERNAL_PAGE, PUBLIC_PAGE) if (folder / n).is_file()]
