"""Documents: which project a file belongs to, and what kind of document it is (column-wise)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from c3po_sync.normalize.mapping import DOC_TYPES, ClassifyRule, SourceMapping, StatusReportRule


def slug(s: str) -> str:
    """``Commitment Sign-off`` -> ``commitment_signoff``: the demo choices' own spelling."""
    s = s.casefold().replace("-", "").replace("'", "")
    return "_".join(re.findall(r"[0-9a-z]+", s))


def is_file(values: dict[str, Any]) -> bool:
    """Library rows are files only when FSObjType (or FileSystemObjectType) is 0."""
    v = values.get("FSObjType", values.get("FileSystemObjectType", 0))
    try:
        return int(v) == 0
    except (TypeError, ValueError):
        return False


def folders(m: SourceMapping, paths: pd.Series) -> pd.Series:
    """The first folder under the library root of each FileRef; NA for files at the root.

    Without ``library_url`` the root is the first path segment under the site
    (``/sites/x/Shared Documents``): libraries live one level below their site.
    """
    site = m.site.rstrip("/") + "/"
    lower = paths.fillna("").str.casefold()
    if m.library_url:
        root = m.library_url.strip("/")
        if not root.casefold().startswith(site.strip("/").casefold()):
            root = site.strip("/") + "/" + root
        prefix = "/" + root + "/"
        rest = paths.str.slice(len(prefix)).where(lower.str.startswith(prefix.casefold()))
        parts = rest.str.split("/", n=1, expand=True).reindex(columns=[0, 1])
        return parts[0].where(parts[1].notna())
    rest = paths.str.slice(len(site)).where(lower.str.startswith(site.casefold()))
    parts = rest.str.split("/", n=2, expand=True).reindex(columns=[0, 1, 2])
    return parts[1].where(parts[2].notna())


class KnownKeys:
    """The project keys normalization kept, for folder checks and finding keys in file names."""

    def __init__(self, keys: Iterable[str]) -> None:
        ordered = sorted({k for k in keys if k}, key=lambda k: (-len(k), k))
        self.canon = {k.casefold(): k for k in ordered}
        alternatives = "|".join(re.escape(k) for k in ordered)
        # a key counts only as a whole token: "SJ311_Charter.docx" yes, "ASJ3119.docx" no
        self.pattern = f"(?<![0-9A-Za-z])({alternatives})(?![0-9A-Za-z])" if ordered else None

    def __bool__(self) -> bool:
        return bool(self.canon)

    def canonical(self, keys: pd.Series) -> pd.Series:
        return keys.map(lambda k: self.canon.get(k.casefold(), k) if isinstance(k, str) else k)

    def known(self, keys: pd.Series) -> pd.Series:
        return keys.map(lambda k: isinstance(k, str) and k.casefold() in self.canon)

    def in_names(self, names: pd.Series) -> pd.Series:
        if self.pattern is None:
            return pd.Series(pd.NA, index=names.index, dtype=object)
        found = names.str.extract(self.pattern, flags=re.IGNORECASE, expand=False)
        return self.canonical(found)


def link(m: SourceMapping, df: pd.DataFrame, known: KnownKeys) -> pd.Series:
    """Project key per document: the mapping's rules in order, the first that yields a key wins.

    ``df`` has ``path``, ``name`` and (for the column rule) the key column's raw values. A
    folder counts only when it names a known project (when any are known), so an ``Archive``
    folder falls through to the next rule instead of inventing a project.
    """
    key = pd.Series(None, index=df.index, dtype=object)
    clean = m.key.clean if m.key is not None else _default_clean
    for method in m.link:
        todo = key.isna()
        if not todo.any():
            break
        if method == "column" and m.key is not None:
            found = known.canonical(df.loc[todo, "_key_raw"].map(clean))
        elif method == "folder":
            found = folders(m, df.loc[todo, "path"]).map(clean, na_action="ignore")
            if known:
                found = known.canonical(found.where(known.known(found)))
        elif method == "name":
            found = known.in_names(df.loc[todo, "name"].fillna(""))
        else:  # pragma: no cover - the mapping model admits only the three rules
            continue
        key.loc[todo] = found.where(found.notna(), None)
    return key


def _default_clean(raw: Any) -> str | None:
    return raw.strip().upper() or None if isinstance(raw, str) else None


class Classifier:
    """Classifies by column (with synonyms), else content type, else ordered name patterns."""

    def __init__(self, rule: ClassifyRule | None) -> None:
        self.rule = rule or ClassifyRule()
        self._syn = {slug(k): v for k, v in self.rule.synonyms.items()}
        self._ct = {k.casefold(): v for k, v in self.rule.content_types.items()}

    def _column_value(self, raw: Any) -> tuple[str | None, str | None]:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None, None
        if not isinstance(raw, str):
            return None, f"expected a document type choice, got {type(raw).__name__}"
        s = slug(raw)
        if s in self._syn:
            return self._syn[s], None
        if s in DOC_TYPES:
            return s, None
        return None, f"unknown document type {raw!r}"

    def _content_type(self, raw: Any) -> str | None:
        if isinstance(raw, dict):
            raw = raw.get("Name")
        return self._ct.get(raw.casefold()) if isinstance(raw, str) else None

    def classify(self, df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """doc_type per row, and the problem (or NA) of column values no rule knows.

        A row whose column value is unknown is quarantined by the caller and still classified
        by the later rules, so one typo does not hide a charter.
        """
        doc_type = pd.Series(None, index=df.index, dtype=object)
        problems = pd.Series(None, index=df.index, dtype=object)
        if self.rule.column:
            pairs = [self._column_value(v) for v in df["_type_raw"]]
            doc_type = pd.Series([t for t, _ in pairs], index=df.index, dtype=object)
            problems = pd.Series([e for _, e in pairs], index=df.index, dtype=object)
        if self._ct and "_content_type" in df:
            todo = doc_type.isna()
            doc_type.loc[todo] = df.loc[todo, "_content_type"].map(self._content_type)
        tests = [
            (p.compiled().match if p.is_glob else p.compiled().search, p.doc_type)
            for p in self.rule.patterns
        ]
        if tests:
            types = doc_type.tolist()
            for i, name in enumerate(df["name"].tolist()):
                if pd.isna(types[i]):
                    types[i] = next((t for test, t in tests if test(name or "")), None)
            doc_type = pd.Series(types, index=df.index, dtype=object)
        return doc_type.fillna(self.rule.default), problems


_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})(?:-?(\d{2}))?(?!\d)")


def _date_in_name(name: Any) -> date | None:
    """The first plausible date in a file name: 2026-10-14, 20261014, or 2026-10 (the 1st)."""
    if not isinstance(name, str):
        return None
    for m in _NAME_DATE.finditer(name):
        try:
            return date(int(m[1]), int(m[2]), int(m[3] or 1))
        except ValueError:
            continue
    return None


def status_report_rows(
    rule: StatusReportRule, docs: pd.DataFrame, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """status_reports rows for a library's documents classified ``status_report``."""
    picked = docs[(docs["doc_type"] == "status_report").fillna(False).astype(bool)]
    picked = picked[picked["project_key"].notna()]
    rows = []
    for r in picked.to_dict("records"):
        when = None
        for source in rule.date_from:
            if source == "name":
                when = _date_in_name(r.get("name"))
            elif isinstance(r.get("source_modified"), pd.Timestamp):
                when = r["source_modified"].tz_convert(tz).date()
            if when is not None:
                break
        rows.append(
            {
                "project_key": r["project_key"],
                "report_date": when,
                "status": None,
                "summary": r.get("name"),
                **{c: r.get(c) for c in r if c.startswith("source_")},
            }
        )
    return rows
