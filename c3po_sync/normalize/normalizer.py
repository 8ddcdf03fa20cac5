"""Records -> canonical tables: every bad value goes to quarantine and the run goes on."""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.model.compact import share_repeated
from c3po_sync.model.schema import DOCUMENTS, PROJECTS, QUARANTINE, TABLES, Table
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize.dates import parse_datetime
from c3po_sync.normalize.documents import (
    Classifier,
    KnownKeys,
    is_file,
    link,
    status_report_rows,
)
from c3po_sync.normalize.errors import TransformError
from c3po_sync.normalize.loader import effective_transform
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.normalize.quarantine import Quarantine, raw_text
from c3po_sync.normalize.safety import convert, raw_problem, text_problem
from c3po_sync.normalize.shifted import ShiftDetector, Slot
from c3po_sync.normalize.splice import (
    Basis,
    blank,
    in_item_order,
    judged_by_their_list,
    rows_frame,
    split_quarantine,
    without,
)
from c3po_sync.normalize.transforms import build_transform
from c3po_sync.sources.base import RawRecord, ReadsById, SourceBatch

log = logging.getLogger(__name__)

_raw_text = raw_text  # the name tests/faults imports


def _compile(m: SourceMapping, tz: ZoneInfo) -> list[Slot]:
    out = []
    for name, spec in m.fields.items():
        transform = effective_transform(m, name, spec)
        fn = build_transform(
            transform,
            tz,
            synonyms=spec.synonyms,
            allowed=spec.allowed,
            separator=spec.separator,
            terms=spec.terms,
            name_fallback=spec.name_fallback,
            formats=spec.formats,
            excel_serial=spec.excel_serial,
            exponent=spec.exponent,
            percent=spec.percent,
            minimum=spec.minimum,
            maximum=spec.maximum,
            unit=spec.unit,
            where=f" for {name} (map it in {m.file})",
        )
        out.append(Slot(name, spec.column, transform, fn))
    return out


def _source_cols(batch: SourceBatch, rec: RawRecord) -> dict[str, Any]:
    return {
        "source_site": batch.ref.site,
        "source_list": batch.ref.list_title,
        "source_item_id": rec.item_id,
        "source_etag": rec.etag,
        "source_modified": rec.modified,
        "source_url": rec.url,
    }


def _rows(
    batch: SourceBatch,
    m: SourceMapping,
    q: Quarantine,
    extra: Callable[[RawRecord, dict[str, Any]], bool] | None = None,
    every: Callable[[], list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Transforms every record; ``extra`` fills rule-driven fields and may drop the row.

    Every problem is located in ``q`` and the rest of the row goes on; a row whose misfits
    suggest shifted columns is reported once and not used (see ``shifted``). ``every``: when
    ``batch`` holds only some of its list's items, loads the values of all of them (the shift
    test judges a row against its whole list).
    """
    tz = ZoneInfo(m.time_zone or batch.time_zone or "UTC")
    slots = _compile(m, tz)
    required = [(n, s.column) for n, s in m.fields.items() if s.required]
    records = sorted(batch.records, key=lambda r: r.item_id)
    shifts = ShiftDetector(
        slots,
        [f.internal_name for f in batch.fields],
        every if every is not None else [r.values for r in records],
    )
    out = []
    for rec in records:
        values = rec.values
        if m.kind == "library" and not is_file(values):
            continue
        row = _source_cols(batch, rec)
        found: list[tuple[str, Any, str, str, str]] = []  # column, raw, reason, problem, field
        try:
            row["source_modified"] = parse_datetime(rec.modified)
        except TransformError as exc:
            row["source_modified"] = None
            found.append(
                ("Modified", rec.modified, f"source_modified: {exc.reason}", exc.problem, "")
            )
        for slot in slots:
            raw = values.get(slot.column)
            row[slot.name], err = (None, None) if raw is None else convert(slot.fn, raw)
            if err is not None:
                reason = f"{slot.name}: {err.reason}"
                found.append((slot.column, raw, reason, err.problem, slot.name))
        shift = shifts.evidence(values, {c for c, *_ in found if c != "Modified"})
        if shift:
            q.add(batch, rec.item_id, "(row)", None, shift, "shifted_columns")
            continue
        for column, raw, reason, problem, name in found:
            q.add(batch, rec.item_id, column, raw, reason, problem, name)
        for name, column in required:
            if row.get(name) is None and not any(c == column for c, *_ in found):
                why = f"{name}: required value missing"
                q.add(batch, rec.item_id, column, None, why, "required", name)
        if extra is None or extra(rec, row):
            out.append(row)
    return out


def _keyed(
    batch: SourceBatch, m: SourceMapping, q: Quarantine, required: bool
) -> Callable[[RawRecord, dict[str, Any]], bool]:
    rule = m.key
    pattern = re.compile(rule.pattern) if rule and rule.pattern else None

    def extra(rec: RawRecord, row: dict[str, Any]) -> bool:
        if rule is None:
            return True
        raw = rec.values.get(rule.column)
        try:
            key = rule.parse(raw)
        except TransformError as exc:
            q.add(batch, rec.item_id, rule.column, raw, exc.reason, exc.problem, "project_key")
            key = None
            if required:
                return False
        if key and pattern is not None and not pattern.fullmatch(key):
            reason = f"project key {key!r} does not match {rule.pattern!r}"
            q.add(batch, rec.item_id, rule.column, raw, reason, "invalid_key", "project_key")
            key = None
            if required:
                return False
        if not key and required:
            q.add(
                batch, rec.item_id, rule.column, raw, "no project key; row dropped", "missing_key"
            )
            return False
        row["project_key"] = key
        row["_key_raw"] = raw  # what SharePoint sent, for reports; Table.frame drops it
        return True

    return extra


# A project list's candidate rows: its mapping's rows of ``projects`` plus ``_key_raw`` (what
# SharePoint sent, for the duplicate report) and ``_fresh`` (False: a stored row, raw unknown).
Candidates = tuple[SourceBatch, SourceMapping, pd.DataFrame]
_HELPERS = ["_key_raw", "_fresh"]


def _project_candidates(
    batch: SourceBatch,
    m: SourceMapping,
    q: Quarantine,
    every: Callable[[], list[dict[str, Any]]] | None = None,
) -> pd.DataFrame:
    """A project list's rows, keyed (rows without a usable key are dropped and reported)."""
    built = _rows(batch, m, q, _keyed(batch, m, q, required=True), every)
    for r in built:
        if r.get("portfolio") is None:
            r["portfolio"] = m.portfolio
    frame = rows_frame(PROJECTS, built)
    frame["_key_raw"] = pd.Series([r.get("_key_raw") for r in built], dtype=object)
    frame["_fresh"] = True
    return frame


def _dedupe_projects(candidates: list[Candidates], q: Quarantine) -> pd.DataFrame | dict:
    """The first row for a key wins (mapping order, then item id); the others are quarantined.

    Returns the projects table, or (when a stored row loses its key and its raw key is not
    known) {candidate index: item ids} to normalize again first.
    """
    frames = [f.assign(_src=i) for i, (_b, _m, f) in enumerate(candidates) if not f.empty]
    if not frames:
        return blank(PROJECTS)
    every = pd.concat(frames, ignore_index=True)
    lost = every["project_key"].duplicated(keep="first").to_numpy()
    unknown = every[lost & ~every["_fresh"].to_numpy(dtype=bool)]
    if len(unknown):
        return {
            int(src): set(group["source_item_id"].astype(int))
            for src, group in unknown.groupby("_src")
        }
    winners = every[~lost].set_index("project_key", drop=False)
    for row in every[lost].to_dict("records"):
        batch, m, _ = candidates[row["_src"]]
        key = row["project_key"]
        w = winners.loc[key]
        q.add(
            batch,
            row["source_item_id"],
            m.key.column if m.key else "project_key",
            row["_key_raw"],
            f"duplicate project key {key!r}: kept {w['source_site']}/{w['source_list']} "
            f"item {w['source_item_id']}; dropped {row['source_site']}/{row['source_list']} "
            f"item {row['source_item_id']}",
            "duplicate_key",
            "project_key",
        )
    return every[~lost].drop(columns=[*_HELPERS, "_src"]).reset_index(drop=True)


def _position(pairs: list[tuple[SourceBatch, SourceMapping]], batch: SourceBatch) -> int:
    """Where a list source's quarantine sits among the list sources' (mapping order)."""
    lists = [b for b, m in pairs if m.target != "documents"]
    return next(i for i, b in enumerate(lists) if b is batch)


def _document_frame(
    batch: SourceBatch,
    m: SourceMapping,
    q: Quarantine,
    known: KnownKeys,
    typed_q: Quarantine | None = None,
    every: Callable[[], list[dict[str, Any]]] | None = None,
) -> pd.DataFrame:
    """Per-record values first, then linking and classification column-wise over the batch.

    Document types no rule knows go to ``typed_q`` (default ``q``), after every per-item row.
    """
    typed_q = q if typed_q is None else typed_q
    mapped = set(m.fields)
    key_col = m.key.column if m.key is not None else None
    type_col = m.classify.column if m.classify is not None else None
    aux: list[dict[str, Any]] = []

    def extra(rec: RawRecord, row: dict[str, Any]) -> bool:
        v = rec.values
        file_ref = v.get("FileRef") or None
        name = v.get("FileLeafRef") or (posixpath.basename(file_ref) if file_ref else None)
        for column, raw in (("FileRef", file_ref), ("FileLeafRef", name)):
            bad = raw_problem(raw) or (text_problem(raw) if isinstance(raw, str) else None)
            if bad or (raw is not None and not isinstance(raw, str)):
                why = f"document {column}: {bad or 'not text'}; document not used"
                q.add(batch, rec.item_id, column, raw, why, "unrepresentable", "path")
                return False
        if "path" not in mapped:
            row["path"] = file_ref
        if "name" not in mapped:
            row["name"] = name
        if "size" not in mapped:
            size = v.get("File_x0020_Size")
            try:
                row["size"] = None if size in (None, "") else int(size)
                if row["size"] is not None and not 0 <= row["size"] < 2**63:
                    raise OverflowError("out of range")
            except (TypeError, ValueError, OverflowError):
                row["size"] = None
                why = "size: not a whole number of bytes"
                q.add(batch, rec.item_id, "File_x0020_Size", size, why, "invalid", "size")
        aux.append(
            {
                "path": file_ref,
                "name": name,
                "_key_raw": v.get(key_col) if key_col else None,
                "_type_raw": v.get(type_col) if type_col else None,
                "_content_type": v.get("ContentType"),
                "item_id": rec.item_id,
            }
        )
        return True

    rows = _rows(batch, m, q, extra, every)
    df = rows_frame(DOCUMENTS, rows)
    if df.empty:
        return df
    work = pd.DataFrame(aux)
    df["project_key"] = link(m, work, known).astype("string")
    doc_type, problems = Classifier(m.classify).classify(work)
    df["doc_type"] = doc_type.astype("string")
    for i in problems[problems.notna()].index:
        typed_q.add(
            batch,
            int(work.at[i, "item_id"]),
            type_col or "",
            work.at[i, "_type_raw"],
            f"doc_type: {problems[i]}",
        )
    return df


def _report_unknown_keys(
    known: KnownKeys,
    documents: pd.DataFrame,
    assets: pd.DataFrame,
    pairs: list[tuple[SourceBatch, SourceMapping]],
    q: Quarantine,
) -> None:
    """A key that names no project (deleted, mistyped) is kept as typed but reported, located."""
    if not known:
        return
    by_source = {(b.ref.site, b.ref.list_title): (b, m) for b, m in pairs}
    docs = documents[documents["project_key"].notna()]
    orphan_docs = docs[~known.known(docs["project_key"]).astype(bool)]
    keyed = assets[assets["project_key"].fillna("") != ""]
    orphan_assets = keyed[~known.known(keyed["project_key"]).astype(bool)]
    columns = ["source_site", "source_list", "source_item_id", "project_key"]
    rows = [
        *orphan_docs[columns].itertuples(index=False, name=None),
        *orphan_assets[columns].itertuples(index=False, name=None),
    ]
    for site, lst, item_id, key in rows:
        batch, m = by_source[(site, lst)]
        column = m.key.column if m.key else "project_key"
        if m.target == "assets" and "project_key" in m.fields:
            column = m.fields["project_key"].column
        q.add(
            batch,
            int(item_id),
            column,
            key,
            f"project key {key!r} matches no project",
            "unknown_key",
        )


def _pair(batches: list[SourceBatch], mappings: list[SourceMapping]):
    by_key = {m.match_key: (i, m) for i, m in enumerate(mappings)}
    pairs = []
    for b in batches:
        hit = by_key.get((b.ref.site.rstrip("/").casefold(), b.ref.list_title.casefold()))
        if hit is None:
            log.warning("no mapping for %s; its %d records are ignored", b.ref, len(b.records))
            continue
        pairs.append((hit[0], b, hit[1]))
    pairs.sort(key=lambda p: p[0])
    return [(b, m) for _, b, m in pairs]


def normalize(
    batches: list[SourceBatch],
    mappings: list[SourceMapping],
    known_keys: Iterable[str] = (),
    basis: Basis | None = None,
) -> CanonicalTables:
    """Builds the canonical tables from one run's batches; never raises on a bad value.

    Each batch's records are iterated once, one source at a time, and not kept: a batch
    whose records stay in the raw cache (sources.incremental.StoredRecords) is loaded, turned
    into rows and released before the next, so memory follows the largest source.

    Projects are built first so documents can be linked by name against the known keys.
    ``known_keys``: projects kept from a source not re-read this run (pipeline.carry), which
    documents and assets may still name.

    ``basis``: the stored tables this run's changes apply to (``normalize.splice``): a source
    it vouches for, whose batch names its changed items, keeps its stored rows and normalizes
    only those items. The result is the one a full normalize of every record gives.
    """
    pairs = _pair(batches, mappings)
    if basis is not None and len({(b.ref.site, b.ref.list_title) for b, _ in pairs}) < len(pairs):
        basis = None  # two mappings of one list: rows cannot be told apart by source
    # The quarantine, in the order a full normalize reports it: list sources (mapping order),
    # duplicate keys, libraries (each: per item, then document types), keys naming no project.
    q_lists: list[pd.DataFrame] = []
    q_libraries: list[pd.DataFrame] = []
    # Each source's rows become a frame as soon as it is done (no dict per row kept).
    parts: dict[str, list[pd.DataFrame]] = {"status_reports": [], "assets": []}
    candidates: list[Candidates] = []  # each project list's rows, before duplicate keys
    for batch, m in pairs:
        if m.target == "documents":
            continue
        q = Quarantine()
        if m.target == "projects":
            found = _spliced_projects(batch, m, basis, set())
            if found is None:
                frame = _project_candidates(batch, m, q)
                found = frame, rows_frame(QUARANTINE, q.rows)
            candidates.append((batch, m, found[0]))
            q_lists.append(found[1])
            continue
        spliced = _spliced_list(batch, m, basis)
        if spliced is not None:
            frame, q_frame = spliced
        else:
            frame = _list_frame(batch, m, q)
            q_frame = rows_frame(QUARANTINE, q.rows)
        parts[m.target].append(frame)
        q_lists.append(q_frame)
    q = Quarantine()
    projects = _dedupe_projects(candidates, q)
    again: dict[int, set[int]] = {}
    while isinstance(projects, dict):  # stored rows that lose their key now: their raw keys
        for i, ids in projects.items():
            batch, m, _ = candidates[i]
            again[i] = again.get(i, set()) | ids
            found = _spliced_projects(batch, m, basis, again[i])
            assert found is not None
            candidates[i] = (batch, m, found[0])
            q_lists[_position(pairs, batch)] = found[1]
        q = Quarantine()
        projects = _dedupe_projects(candidates, q)
    q_lists.append(rows_frame(QUARANTINE, q.rows))
    del candidates
    known = KnownKeys([*projects["project_key"].dropna(), *known_keys])
    same_keys = basis is not None and _known_of(basis.tables).canon == known.canon
    doc_frames = []
    for batch, m in pairs:
        if m.target != "documents":
            continue
        library = _spliced_library(batch, m, basis, known) if same_keys else None
        if library is None:
            library = _library(batch, m, known)
        frame, reports, q_frames = library
        q_libraries += q_frames
        if frame.empty:
            continue
        doc_frames.append(frame)
        if reports is not None:
            parts["status_reports"].append(reports)
    documents = _concat(DOCUMENTS, doc_frames)
    assets = _concat(TABLES["assets"], parts.pop("assets"))
    del doc_frames
    q = Quarantine()
    _report_unknown_keys(known, documents, assets, pairs, q)
    quarantine = _concat(QUARANTINE, [*q_lists, *q_libraries, rows_frame(QUARANTINE, q.rows)])
    if len(quarantine):
        log.info("normalize: %d values quarantined", len(quarantine))
    # Each value read is a string of its own; repeats (sites, keys, types, authors) are held
    # once from here on, for the rules, the sinks and the snapshot alike.
    return CanonicalTables(
        projects=share_repeated(projects),
        documents=share_repeated(documents),
        status_reports=share_repeated(_concat(TABLES["status_reports"], parts["status_reports"])),
        assets=share_repeated(assets),
        quarantine=share_repeated(quarantine),
    )


Library = tuple[pd.DataFrame, pd.DataFrame | None, list[pd.DataFrame]]


def _list_frame(
    batch: SourceBatch,
    m: SourceMapping,
    q: Quarantine,
    every: Callable[[], list[dict[str, Any]]] | None = None,
) -> pd.DataFrame:
    """An assets or status_reports list's rows (its key, when mapped, is not required)."""
    built = _rows(batch, m, q, _keyed(batch, m, q, required=False), every)
    if m.target == "assets":
        for r in built:
            if r.get("asset_id") is None:
                r["asset_id"] = f"{batch.ref.site}/{batch.ref.list_title}/{r['source_item_id']}"
    return share_repeated(rows_frame(TABLES[m.target], built))


def _library(
    batch: SourceBatch,
    m: SourceMapping,
    known: KnownKeys,
    every: Callable[[], list[dict[str, Any]]] | None = None,
) -> Library:
    """A library's documents, the status reports among them and its quarantine (per item,
    then document types)."""
    q, typed_q = Quarantine(), Quarantine()
    # Repeats shared as each source's frame is made, not only at the end: otherwise every
    # source's per-row copies of its author, ETag and keys live until the last source is
    # done, and leave the heap in holes (issue 16, the sync step's peak memory).
    frame = share_repeated(_document_frame(batch, m, q, known, typed_q, every))
    reports = None
    if m.status_reports is not None and not frame.empty:
        tz = ZoneInfo(m.time_zone or batch.time_zone or "UTC")
        rows = status_report_rows(m.status_reports, frame, tz)
        reports = rows_frame(TABLES["status_reports"], rows)
    return frame, reports, [rows_frame(QUARANTINE, q.rows), rows_frame(QUARANTINE, typed_q.rows)]


def _known_of(tables: CanonicalTables) -> KnownKeys:
    return KnownKeys(tables.projects["project_key"].dropna())


def _changes(
    batch: SourceBatch, m: SourceMapping, basis: Basis | None
) -> tuple[set[int], set[int]] | None:
    """(items re-read, items gone) when ``batch`` may be spliced into ``basis``, else None."""
    if basis is None or batch.changed_ids is None:
        return None
    if (batch.ref.site, batch.ref.list_title) not in basis.sources:
        return None
    return set(batch.changed_ids), set(batch.deleted_ids)


def _subset(
    batch: SourceBatch, ids: set[int]
) -> tuple[SourceBatch, Callable[[], list[dict[str, Any]]]]:
    """The batch with only these items, and a loader of all its items' values."""
    records = batch.records
    if isinstance(records, ReadsById):
        some = records.by_ids(sorted(ids))
    else:
        some = [r for r in records if r.item_id in ids]
    return replace(batch, records=some), lambda: [r.values for r in records]


def _redo(changed: set[int], gone: set[int], q: pd.DataFrame) -> tuple[set[int], set[int]]:
    """(items to normalize again, stored items to drop): the changed ones, and, when the list
    changed at all, the rows its shift test judged against the list."""
    if not changed and not gone:
        return set(), set()
    redo = changed | (judged_by_their_list(q) - gone)
    return redo, redo | gone


def _spliced_projects(
    batch: SourceBatch, m: SourceMapping, basis: Basis | None, also: set[int]
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """A project list's candidate rows: its stored projects with its changed items, the rows
    it lost to duplicate keys last time and ``also`` normalized again."""
    delta = _changes(batch, m, basis)
    if delta is None or basis is None:
        return None
    site, title = batch.ref.site, batch.ref.list_title
    stored_q = basis.rows_of("quarantine", site, title)
    own_q, _typed = split_quarantine(stored_q, None)
    redo, drop = _redo(*delta, own_q)
    lost = stored_q.loc[stored_q["problem"] == "duplicate_key", "source_item_id"]
    redo |= ({int(i) for i in lost.dropna()} | also) - delta[1]
    drop |= redo
    q = Quarantine()
    new = blank(PROJECTS).assign(_key_raw=None, _fresh=True)
    if redo:
        some, every = _subset(batch, redo)
        new = _project_candidates(some, m, q, every)
    stored = without(basis.rows_of("projects", site, title), drop).assign(
        _key_raw=None, _fresh=False
    )
    basis.mark(str(batch.ref))
    return (
        in_item_order([stored, new], new.iloc[0:0]),
        in_item_order([without(own_q, drop), rows_frame(QUARANTINE, q.rows)], blank(QUARANTINE)),
    )


def _spliced_list(
    batch: SourceBatch, m: SourceMapping, basis: Basis | None
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """An assets or status_reports list: its stored rows with its changed items normalized."""
    delta = _changes(batch, m, basis)
    if delta is None or basis is None:
        return None
    site, title = batch.ref.site, batch.ref.list_title
    table = TABLES[m.target]
    stored = basis.rows_of(m.target, site, title)
    own_q, _typed = split_quarantine(basis.rows_of("quarantine", site, title), None)
    redo, drop = _redo(*delta, own_q)
    q = Quarantine()
    new = blank(table)
    if redo:
        some, every = _subset(batch, redo)
        new = _list_frame(some, m, q, every)
    basis.mark(str(batch.ref))
    return (
        in_item_order([without(stored, drop), new], blank(table)),
        in_item_order([without(own_q, drop), rows_frame(QUARANTINE, q.rows)], blank(QUARANTINE)),
    )


def _spliced_library(
    batch: SourceBatch, m: SourceMapping, basis: Basis | None, known: KnownKeys
) -> Library | None:
    """A library: its stored documents, reports and quarantine with its changed items redone
    (the caller vouches the known keys are the stored tables' own)."""
    delta = _changes(batch, m, basis)
    if delta is None or basis is None:
        return None
    site, title = batch.ref.site, batch.ref.list_title
    stored = basis.rows_of("documents", site, title)
    type_column = m.classify.column if m.classify is not None else None
    own_q, typed_q = split_quarantine(basis.rows_of("quarantine", site, title), type_column or "")
    redo, drop = _redo(*delta, own_q)
    reports: pd.DataFrame | None = None
    if redo:
        some, every = _subset(batch, redo)
        new, reports, (new_q, new_typed) = _library(some, m, known, every)
    else:
        new, new_q, new_typed = blank(DOCUMENTS), blank(QUARANTINE), blank(QUARANTINE)
    status = TABLES["status_reports"]
    if m.status_reports is not None:
        kept = without(basis.rows_of("status_reports", site, title), drop)
        reports = in_item_order([kept, reports if reports is not None else blank(status)],
                                blank(status))  # fmt: skip
    basis.mark(str(batch.ref))
    return (
        in_item_order([without(stored, drop), new], blank(DOCUMENTS)),
        reports if reports is not None and not reports.empty else None,
        [
            in_item_order([without(own_q, drop), new_q], blank(QUARANTINE)),
            in_item_order([without(typed_q, drop), new_typed], blank(QUARANTINE)),
        ],
    )


def _concat(table: Table, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The sources' frames of one table, in source order (each already has its dtypes)."""
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else blank(table)
