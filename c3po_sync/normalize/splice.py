"""A changed night: only the changed items of a source are normalized again (issue 16).

The stored tables of the previous run are this run's tables for every item the change log
read this run does not name. A source whose basis is known (``Basis``: the pipeline vouches
that the stored tables were built from the same mappings, schemas and cached records, up to
this run's changes) keeps its stored rows for unchanged items and normalizes the changed ones,
spliced in where a full normalize would put them (item id order within the source).

What depends on more than one row is recomputed over the whole result, never spliced:
duplicate project keys (decided over every project list's candidate rows; last night's losers
and stored rows that now lose their key are normalized again), keys that name no project
(``unknown_key``), and the set of known keys that documents are linked against (a library is
spliced only when that set is the stored one). A row whose
verdict depends on its whole list (the shifted-columns test compares a row with the shapes of
its list's columns) is normalized again whenever its list changed.

Everything here works on frames of one source; ``normalizer`` decides and builds the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from c3po_sync.model.schema import Table
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.normalize.shifted import MIN_MISFITS

# Quarantine problems made across rows, recomputed over the whole result each run.
CROSS_ROW_PROBLEMS = frozenset({"duplicate_key", "unknown_key"})
# The reason of a document type no rule knows (a library's last pass).
CLASSIFY_PREFIX = "doc_type: "


@dataclass
class Basis:
    """The stored tables this run's changes apply to, and the sources they may be spliced for.

    ``sources``: (site, list title) of the sources the pipeline vouches for; every other
    source, and any source whose batch does not say which items changed, is normalized in full.
    """

    tables: CanonicalTables
    sources: set[tuple[str, str]] = field(default_factory=set)
    spliced: list[str] = field(default_factory=list)  # filled by normalize: for the log/tests
    _at: dict[str, dict[Any, Any]] = field(default_factory=dict, repr=False)

    def mark(self, source: str) -> None:
        """Records ``source`` as spliced this run (once)."""
        if source not in self.spliced:
            self.spliced.append(source)

    def rows_of(self, table: str, site: str, list_title: str) -> pd.DataFrame:
        """The stored rows a source yielded (normalize writes its mapping's site and title as
        they are), found by one grouping per table rather than a scan per source."""
        frame: pd.DataFrame = getattr(self.tables, table)
        if table not in self._at:
            by = frame.groupby(["source_site", "source_list"], sort=False, dropna=False)
            self._at[table] = {} if frame.empty else by.indices
        at = self._at[table].get((site, list_title))
        return frame.iloc[at] if at is not None else frame.iloc[0:0]


_BLANK: dict[str, pd.DataFrame] = {}


def blank(table: Table) -> pd.DataFrame:
    """An empty frame of ``table`` (typing one costs milliseconds; a night makes hundreds)."""
    if table.name not in _BLANK:
        _BLANK[table.name] = table.empty()
    return _BLANK[table.name].copy()


def rows_frame(table: Table, rows: list[dict]) -> pd.DataFrame:
    """``table.frame(rows)``, without typing an empty one."""
    return table.frame(rows) if rows else blank(table)


def without(frame: pd.DataFrame, ids: set[int]) -> pd.DataFrame:
    """``frame`` without the rows of these items."""
    if frame.empty or not ids:
        return frame
    return frame[~frame["source_item_id"].isin(ids)]


def in_item_order(pieces: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    """Stored and new rows of one source in item id order, as a full normalize makes them.

    The sort is stable: an item's rows all come from one piece, in that piece's order.
    """
    pieces = [p for p in pieces if not p.empty]
    if not pieces:
        return empty
    both = pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
    order = both["source_item_id"].to_numpy().argsort(kind="stable")
    return both.iloc[order].reset_index(drop=True)


def split_quarantine(
    q: pd.DataFrame, classify_column: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A source's stored quarantine rows made row by row: (per-item pass, document-type pass).

    Cross-row rows (duplicate and unknown keys) are left out: they are recomputed. The
    document-type pass is a library's last (``normalizer._document_frame``): its rows name the
    type column, no canonical field, and a reason starting with ``doc_type: ``.
    """
    if q.empty:
        return q, q
    own = q[~q["problem"].isin(CROSS_ROW_PROBLEMS).fillna(False).astype(bool)]
    if classify_column is None:
        return own, own.iloc[0:0]
    typed = (
        own["field"].isna()
        & (own["column"] == classify_column).fillna(False)
        & own["reason"].str.startswith(CLASSIFY_PREFIX).fillna(False)
    ).astype(bool)
    return own[~typed], own[typed]


def judged_by_their_list(q: pd.DataFrame) -> set[int]:
    """Items whose stored verdict may depend on their list's other rows: reported as shifted,
    or with enough values in other columns that the shift test looked at them (it needs
    ``MIN_MISFITS`` misfit columns; counting every reported column over-counts, never under)."""
    if q.empty:
        return set()
    shifted = set(q.loc[q["problem"] == "shifted_columns", "source_item_id"].dropna().astype(int))
    rows = q[q["column"] != "Modified"]
    columns = rows.groupby("source_item_id")["column"].nunique()
    return shifted | {int(i) for i in columns[columns >= MIN_MISFITS].index}
