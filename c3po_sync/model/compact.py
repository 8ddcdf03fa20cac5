"""Canonical frames held compactly: a value repeated down a column is held once.

A tenant's documents repeat the same site, list, project key, type, author and template on
thousands of rows, yet each value read from SharePoint or parsed from the state store is a
Python string of its own. Pointing every repeat at one string object keeps each column's dtype
and values exactly (the rules and sinks see the same frame) and frees the copies: a third of
the documents table's memory at city size (issue 16, peak memory).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Below this many rows the saving is not worth hashing the column.
SHARE_MIN_ROWS = 1000


def share_repeated(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each text column's repeated values held as one object each (in place).

    A column whose values are mostly distinct (paths, URLs) is left as it is.
    """
    if len(frame) < SHARE_MIN_ROWS:
        return frame
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "python":
            frame[name] = _shared(col)
    return frame


def _shared(col: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(col)
    if len(uniques) == 0 or mostly_distinct(len(uniques), len(col)):
        return col
    held = np.asarray(uniques, dtype=object).take(codes)
    held[codes < 0] = pd.NA
    return pd.Series(pd.arrays.StringArray(held), index=col.index, name=col.name)


def mostly_distinct(distinct: int, seen: int) -> bool:
    """More than half of ``seen`` values differ: nothing worth sharing (paths, URLs)."""
    return distinct * 2 > seen


# Columns one table repeats from another, row for row: a status report found in a library
# is that document's row again (normalize.documents.status_report_rows), its summary the
# document's name and its link the document's. Normalize hands both tables the same string
# objects; a table rebuilt from storage points at the other's strings again (state.store).
ECHOES: dict[str, tuple[str, dict[str, str]]] = {
    "status_reports": ("documents", {"source_url": "source_url", "summary": "name"}),
}


def string_pool(col: pd.Series) -> dict[str, str]:
    """Each text value of ``col`` keyed by itself: looking a string up returns ``col``'s own."""
    # Read through an object array (the same string objects): iterating a pandas string
    # array fetches each value through Python-level indexing.
    return {v: v for v in col.to_numpy(dtype=object) if isinstance(v, str)}
