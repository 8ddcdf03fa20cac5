"""Rules over the document archive (audit recommendations 1 and 7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import quote, urlsplit

import numpy as np
import pandas as pd

from c3po_sync.model import domain
from c3po_sync.model.schema import PHASES
from c3po_sync.rules import scope as sc
from c3po_sync.rules.doc_types import DEFAULT_REQUIRED_DOCUMENTS, REQUIRABLE_DOC_TYPES
from c3po_sync.rules.registry import RuleContext, Severity, blank, hits, no_hits, rule


def _doc_rule_id(doc_type: str) -> str:
    return "R7-" + doc_type.replace("_", "-") + "-missing"


def _most_common(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Per key, its most frequent value (ties broken alphabetically, so output is stable)."""
    pairs = pd.DataFrame({"k": keys.astype(str), "v": values.astype(str)})
    counts = pairs.value_counts().reset_index(name="n")
    counts = counts.sort_values(["k", "n", "v"], ascending=[True, False, True])
    return counts.drop_duplicates("k").set_index("k")["v"]


def _per_unique(values: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """``values.map(fn)``, calling ``fn`` once per distinct value."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([fn(u) for u in uniques], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _shared(values: Iterable[str], index: pd.Index) -> pd.Series:
    """``values`` as an object Series in which equal strings are one object.

    Each value made per row (a slice of a path, a joined URL) is let go as soon as an equal
    one is held: a tenant's 50,000 documents sit in a few thousand folders, so only those are
    kept, not a string per document (issue 16, evaluate's peak memory).
    """
    held: dict[str, str] = {}
    return pd.Series([held.setdefault(v, v) for v in values], index=index, dtype=object)


def _joined(heads: pd.Series, tails: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """``heads + tails.map(fn)`` (object strings, aligned), each distinct pair joined once."""
    hc, hu = pd.factorize(heads)
    tc, tu = pd.factorize(tails)
    width = max(len(tu), 1)
    pairs, at = np.unique(hc.astype(np.int64) * width + tc, return_inverse=True)
    done = [fn(t) for t in tu]
    joined = np.array([hu[p // width] + done[p % width] for p in pairs], dtype=object)
    return pd.Series(joined[at.reshape(-1)], index=heads.index, dtype=object)


def origins(urls: pd.Series) -> pd.Series:
    """Each URL's ``scheme://netloc``, as ``urllib.parse.urlsplit`` reads it.

    What urlsplit takes for scheme and netloc lies before the URL's third "/" (a scheme holds
    no "/", and the netloc ends at the first "/", "?" or "#" after "//"), so each distinct
    head is parsed once: a tenant's 50,000 document links share a handful of origins.
    """
    heads = _shared(("/".join(u.split("/", 3)[:3]) for u in urls), urls.index)
    return _per_unique(heads, lambda u: "{0.scheme}://{0.netloc}".format(urlsplit(u)))


def _site_roots(sites: pd.Series) -> pd.Series:
    """Each row's site without its trailing "/" ("" when missing), stripped once per site."""
    return _per_unique(sites.fillna("").astype(str), lambda s: s.rstrip("/"))


def _folder(path: str, site: str) -> str:
    """The folder of ``path`` below ``site`` ("Project Documents/SJ311"); "" at the top."""
    rel = path[len(site) + 1 :] if site and path.startswith(site + "/") else path.lstrip("/")
    return rel.rsplit("/", 1)[0] if "/" in rel else ""


def _library(path: str, site: str) -> str:
    """The library ``path`` lies in, with its site ("/sites/x/Shared Documents"); "" when
    the path is not under its site."""
    return (
        f"{site}/{path[len(site) + 1 :].split('/', 1)[0]}"
        if site and path.startswith(site + "/")
        else ""
    )


def _upload_targets(ctx: RuleContext) -> pd.Series:
    """Where a PPM should upload a project's missing documents, aligned with the projects rows.

    Prefer the folder the project's documents already live in (site prefix stripped, so
    "Project Documents/SJ311"); else the library its site uses for documents; else a generic
    phrase. That keeps the message actionable on sites that file documents differently.
    Computed once per evaluation and shared by the document rules; per document it holds only
    shared strings (a few thousand folders, not a string per document).
    """
    if "upload_targets" in ctx.cache:
        return ctx.cache["upload_targets"]
    projects = ctx.projects
    targets = pd.Series("the project's document library", index=projects.index, dtype="string")
    docs = ctx.tables.documents
    d = docs.loc[~blank(docs["path"]), ["path", "source_site", "source_list", "project_key"]]
    if not d.empty:
        site = _site_roots(d["source_site"])
        path = d["path"].astype(str)
        folder = _shared(map(_folder, path, site), d.index)
        linked = ~blank(d["project_key"]) & (folder != "")
        own = _most_common(d["project_key"][linked], folder[linked])
        libs = ~blank(d["source_list"])
        by_site = _most_common(d["source_site"][libs], d["source_list"][libs])
        site_lib = projects["source_site"].map(by_site)
        key = projects["project_key"]
        fallback = site_lib + " on " + projects["source_site"] + " (for " + key + ")"
        targets = key.map(own).fillna(fallback).fillna(targets).astype("string")
    ctx.cache["upload_targets"] = targets
    return targets


def _upload_folder_urls(ctx: RuleContext) -> pd.Series:
    """Per project (aligned with the projects rows): the address of the library folder where
    its missing documents belong, so a finding links to the place the fix is made.

    The folder the project's documents already live in; else the root of the library its site
    files documents in; else NA (the finding keeps the project item's link).
    """
    if "upload_urls" in ctx.cache:
        return ctx.cache["upload_urls"]
    projects = ctx.projects
    urls = pd.Series(pd.NA, index=projects.index, dtype="object")
    docs = ctx.tables.documents
    d = docs.loc[
        ~blank(docs["path"]) & ~blank(docs["source_url"]),
        ["path", "source_site", "source_url", "project_key"],
    ]
    if not d.empty:
        # A tenant has few origins, folders and libraries: each is quoted once, and each
        # address made once per distinct (origin, folder), not once a row.
        origin = origins(d["source_url"].astype(str))
        path = d["path"].astype(str)
        site = _site_roots(d["source_site"])
        folder = _shared((p.rsplit("/", 1)[0] for p in path), d.index)
        library = _shared(map(_library, path, site), d.index)
        del path, site
        absolute = _joined(origin, folder, lambda f: quote(f, safe="/"))
        roots = _joined(origin, library, lambda f: quote(f, safe="/"))
        del origin, folder, library
        linked = ~blank(d["project_key"])
        own = _most_common(d["project_key"][linked], absolute[linked])
        by_site = _most_common(d["source_site"], roots)
        own_url = projects["project_key"].map(own).astype("object")
        # where, not fillna: fillna on object values downcasts them (a pandas FutureWarning).
        urls = own_url.where(own_url.notna(), projects["source_site"].map(by_site))
    ctx.cache["upload_urls"] = urls
    return urls


def _requires(ctx: RuleContext, doc_type: str) -> pd.Series:
    """Projects that must have a ``doc_type`` document: by phase, or by their halted state's
    own list (state_documents: a Cancelled project is never asked for an acceptance sign-off)."""
    c = ctx.config
    return domain.requires_document(
        ctx.projects["phase"], doc_type, c.required_documents, c.phases, ctx.states,
        c.state_documents,
    )  # fmt: skip


def _required_scope(ctx: RuleContext, doc_type: str) -> pd.DataFrame:
    """Projects that require ``doc_type``; NA where the phase is unknown and no state decides."""
    needed = _requires(ctx, doc_type).astype("boolean")
    decided = pd.Series(False, index=ctx.projects.index)
    if ctx.states is not None:
        decided = domain.halted_projects(ctx.states, ctx.config.state_documents)
    unknown = ctx.phase_rank.isna().to_numpy() & ~decided.to_numpy()
    return sc.project_scope(ctx, needed.mask(unknown, pd.NA))


def _standing(bad: pd.DataFrame) -> pd.Series:
    """'in Execution', or 'Cancelled (in Execution)' for a halted project."""
    phase = "in " + bad["phase"].fillna("an unknown phase")
    if "state" not in bad.columns:
        return phase
    state = bad["state"].astype("string").str.strip()
    halted = state.notna() & (state != "") & (state.str.casefold() != "active")
    return phase.where(~halted.fillna(False).astype(bool), state + " (" + phase + ")")


def _make_required_doc_rule(doc_type: str, label: str) -> None:
    severity: Severity = "high" if doc_type in ("charter", "commitment_signoff") else "medium"
    default_phase = domain.required_from(DEFAULT_REQUIRED_DOCUMENTS, list(PHASES)).get(doc_type)
    when = (
        f"required from {default_phase} on by default"
        if default_phase
        else "not required by default: add it to required_documents"
    )

    @rule(
        _doc_rule_id(doc_type),
        recommendation=7,
        severity=severity,
        description=f"no document classified '{doc_type}' is linked to a project whose phase "
        f"requires it (required_documents; {when})",
        near_miss="the project is one phase earlier than required, or any such document is linked",
        scope=lambda ctx: _required_scope(ctx, doc_type),
    )
    def required_doc_missing(ctx: RuleContext) -> pd.DataFrame:
        p = ctx.projects
        if p.empty:
            return no_hits()
        docs = ctx.tables.documents
        have = set(docs.loc[docs["doc_type"] == doc_type, "project_key"].dropna())
        needed = _requires(ctx, doc_type)
        mask = needed & ~p["project_key"].isin(list(have)).astype(bool)
        mask &= ~blank(p["project_key"])
        bad = p[mask]
        if bad.empty:
            return no_hits()
        target = _upload_targets(ctx)
        noun = (
            "the signed " + label.lower()
            if "sign" in doc_type or doc_type == "charter"
            else "the " + label.lower()
        )
        msg = (
            label
            + " missing: "
            + bad["project_key"]
            + " is "
            + _standing(bad)
            + "; upload "
            + noun
            + " to "
            + target[mask]
        )
        found = hits(bad, "project_key", msg)
        folder = _upload_folder_urls(ctx)[mask].reset_index(drop=True)
        found["source_url"] = folder.where(folder.notna(), found["source_url"])
        return found

    required_doc_missing.__name__ = f"{doc_type}_missing"


for _t, _label in REQUIRABLE_DOC_TYPES.items():
    _make_required_doc_rule(_t, _label)


def _charter_scope(ctx: RuleContext) -> pd.DataFrame:
    """Every charter; not checked when the charter declares no template version (then nobody
    can say it is current). An unset current_charter_template is the rule's ``requires``."""
    docs = ctx.tables.documents
    charters = docs[(docs["doc_type"] == "charter").fillna(False).astype(bool)]
    version = charters["template_version"]
    applies = pd.Series(True, index=charters.index, dtype="boolean")
    note = pd.Series(pd.NA, index=charters.index, dtype="string")
    undeclared = blank(version)
    applies[undeclared] = pd.NA
    note[undeclared] = "the charter declares no template version"
    return sc.scope_frame(charters, "path", applies, note)


@rule(
    "R1-charter-template-outdated",
    recommendation=1,
    severity="low",
    entity="document",
    description="a charter declares a template version other than current_charter_template",
    near_miss="the charter declares no template version, or current_charter_template is null",
    requires=lambda c: (
        None
        if c.current_charter_template
        else "no current charter template configured (current_charter_template)"
    ),
    scope=_charter_scope,
)
def charter_template_outdated(ctx: RuleContext) -> pd.DataFrame:
    current = ctx.config.current_charter_template
    docs = ctx.tables.documents
    if not current or docs.empty:
        return no_hits()
    version = docs["template_version"].astype("string").str.strip()
    mask = (docs["doc_type"] == "charter").fillna(False) & ~blank(version)
    mask &= (version != current).fillna(False)
    bad = docs[mask]
    if bad.empty:
        return no_hits()
    owners = ctx.projects.drop_duplicates("project_key").set_index("project_key")
    out = pd.DataFrame(
        {
            "entity_key": bad["path"],
            "project_key": bad["project_key"],
            "ppm": bad["project_key"].map(owners["ppm"]),
            "portfolio": bad["project_key"].map(owners["portfolio"]),
            "source_url": bad["source_url"],
        }
    )
    out["message"] = (
        "Charter on an old template: "
        + bad["name"].fillna(bad["path"])
        + " uses "
        + version[mask]
        + "; redo it on template "
        + current
    )
    return out.reset_index(drop=True)
