"""What a mapping needs from its source: columns to $select/$expand, and drift checks on them."""

from __future__ import annotations

import difflib
import re

from c3po_sync.normalize.errors import SchemaDriftError
from c3po_sync.normalize.loader import effective_transform
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.normalize.transforms import EXPANDED
from c3po_sync.sources.base import FieldInfo

LIBRARY_COLUMNS: tuple[str, ...] = ("FileRef", "FileLeafRef", "FSObjType", "File_x0020_Size")
_CUTOFF = 0.6
_MARGIN = 0.15
# Always present on a list or library, whether or not the source's field list reports them.
_BUILT_IN = frozenset({"ID", "Id", "Modified", "Created", "ContentType", *LIBRARY_COLUMNS})


def mapped_columns(m: SourceMapping) -> dict[str, tuple[str, ...]]:
    """Each source column the mapping reads, with the sub-fields to expand (empty: not expanded)."""
    cols: dict[str, tuple[str, ...]] = {}

    def add(col: str, sub: tuple[str, ...] = ()) -> None:
        cols[col] = tuple(dict.fromkeys((*cols.get(col, ()), *sub)))

    if m.key is not None and (m.target != "documents" or "column" in m.link):
        add(m.key.column)
    for name, spec in m.fields.items():
        add(spec.column, EXPANDED.get(effective_transform(m, name, spec), ()))
    if m.kind == "library":
        for col in LIBRARY_COLUMNS:
            add(col)
    if m.classify is not None:
        if m.classify.column:
            add(m.classify.column)
        if m.classify.content_types:
            add("ContentType", ("Name",))
    return cols


def required_columns(m: SourceMapping) -> list[str]:
    """The $select list for a source: plain internal names, and ``Col/Sub`` for expanded columns.

    A column appears as ``Col/Sub`` exactly when it must be ``$expand``-ed (person, lookup,
    content type), which is how OData itself spells it; ``expand_columns`` lists those columns.
    """
    out: list[str] = []
    for col, sub in mapped_columns(m).items():
        out += [f"{col}/{s}" for s in sub] if sub else [col]
    return out


def source_columns(m: SourceMapping) -> list[str]:
    """The internal names a source reads, plain: readers expand person and lookup columns by
    the kind the list's schema gives them, so they need no ``Col/Sub`` spelling."""
    return list(mapped_columns(m))


def expand_columns(m: SourceMapping) -> list[str]:
    """The columns to $expand: person and lookup columns, and ContentType when classifying by it."""
    return [col for col, sub in mapped_columns(m).items() if sub]


def _decode(internal: str) -> str:
    """``Project_x0020_Budget`` -> ``Project Budget``: how a display title usually reads."""
    s = re.sub(r"_x([0-9a-fA-F]{4})_", lambda mo: chr(int(mo.group(1), 16)), internal)
    return s.removeprefix("OData__")


def suggest(column: str, fields: list[FieldInfo], n: int = 3) -> list[str]:
    """Existing internal names closest to ``column``, by internal name or by display title.

    Only names nearly as close as the best one are kept, so a clear match is not drowned out.
    """
    wanted = _decode(column).casefold()
    scored = []
    for f in fields:
        by_name = difflib.SequenceMatcher(None, column, f.internal_name).ratio()
        by_title = difflib.SequenceMatcher(None, wanted, f.title.casefold()).ratio()
        scored.append((max(by_name, by_title), f.internal_name))
    scored.sort(key=lambda s: -s[0])
    if not scored or scored[0][0] < _CUTOFF:
        return []
    best = scored[0][0]
    keep = [name for score, name in scored if score >= max(_CUTOFF, best - _MARGIN)]
    return list(dict.fromkeys(keep))[:n]


def check_drift(m: SourceMapping, fields: list[FieldInfo]) -> None:
    """Fails when a column the mapping reads is gone from the source (renamed, deleted, retyped).

    Raises:
        SchemaDriftError: naming site, list, the first missing column and the closest columns.
    """
    existing = {f.internal_name for f in fields}
    existing_folded = {f.internal_name.casefold() for f in fields}
    canonical_of = {spec.column: name for name, spec in m.fields.items()}
    if m.key is not None and (m.target != "documents" or "column" in m.link):
        canonical_of.setdefault(m.key.column, "project_key")
    missing = [
        col
        for col in mapped_columns(m)
        if col not in _BUILT_IN and col not in existing and col.casefold() not in existing_folded
    ]
    if missing:
        col = missing[0]
        raise SchemaDriftError(
            m.site,
            m.list_title,
            col,
            suggest(col, fields),
            origin=m.origin,
            canonical=canonical_of.get(col, ""),
            missing=missing,
        )
