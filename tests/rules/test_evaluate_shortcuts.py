"""The shortcuts that keep evaluate cheap give exactly what the plain per-value code gives.

Evaluate parses each distinct URL head once (rules.documents.origins) and works out each
distinct history value once (rules.history._comparable_all); both are checked against the
one-value-at-a-time definitions they replace, on generated values, including the odd ones.
"""

from __future__ import annotations

import random
from datetime import date
from urllib.parse import quote, urlsplit

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c3po_sync.model.schema import DOCUMENTS, PROJECTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules import RulesConfig
from c3po_sync.rules.documents import (
    _most_common,
    _upload_folder_urls,
    _upload_targets,
    origins,
)
from c3po_sync.rules.history import WATCHED, _comparable, _comparable_all
from c3po_sync.rules.registry import RuleContext, blank

_PIECES = st.sampled_from(
    ["https:", "HTTP:", "", "//", "/", "?", "#", ":", "host", "city.sharepoint.com", "[::1]",
     "sites", "a b", "\t", " ", "x:y", "%20", "é", "mailto:", "8080", "@"]
)  # fmt: skip
URLS = st.lists(_PIECES, max_size=10).map("".join)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@settings(max_examples=300, deadline=None)
@given(st.lists(URLS, min_size=1, max_size=20))
def test_origins_match_urlsplit_of_the_whole_url(urls):
    expected = []
    for u in urls:
        try:
            expected.append(_origin(u))
        except ValueError:  # urlsplit refuses it (a broken IPv6 host): so must the shortcut
            expected = None
            break
    series = pd.Series(urls, index=range(10, 10 + len(urls)))
    if expected is None:
        try:
            origins(series)
        except ValueError:
            return
        raise AssertionError("origins accepted a URL urlsplit refuses")
    got = origins(series)
    assert got.index.tolist() == series.index.tolist()
    assert got.tolist() == expected


def test_origins_of_real_document_links():
    urls = pd.Series(
        [
            "https://city.sharepoint.com/sites/ppm-a/Project Documents/SJ311/charter.docx",
            "https://city.sharepoint.com/sites/ppm-a/Project%20Documents/x.pdf?web=1",
            "HTTPS://Other.example:8443?x=/y",
            "/sites/ppm-b/Shared Documents/a.docx",
        ]
    )
    assert origins(urls).tolist() == [_origin(u) for u in urls]


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.sampled_from(["", " a ", "A", "a", "2026-05-01", " ", "x; y"]),
    st.lists(st.sampled_from(["Parks", " parks", "PARKS", "", "Police", "1"]), max_size=4),
    st.sampled_from([pd.Timestamp("2026-05-01"), pd.Timestamp("2026-05-01 23:00", tz="UTC"),
                     pd.Timestamp("2026-05-02 01:00", tz="Europe/Paris"), pd.NA]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(WATCHED), st.lists(_VALUES, max_size=30))
def test_comparable_all_matches_comparable_value_by_value(column, values):
    got = _comparable_all(column, values)
    want = [_comparable(column, v) for v in values]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert type(g) is type(w)
        assert g == w or (g != g and w != w)  # NaN stays NaN


# --- where a project's missing documents go: built per distinct value, held shared -----------
# The per-row definitions below are what rules.documents computed before it held each folder,
# library and address once (issue 16); the shared-string helpers must give exactly these.


def _reference_upload_targets(projects: pd.DataFrame, docs: pd.DataFrame) -> pd.Series:
    targets = pd.Series("the project's document library", index=projects.index, dtype="string")
    d = docs[~blank(docs["path"])]
    if d.empty:
        return targets
    site = d["source_site"].fillna("").astype(str).str.rstrip("/")
    rel = [
        p[len(s) + 1 :] if s and p.startswith(s + "/") else p.lstrip("/")
        for p, s in zip(d["path"].astype(str), site, strict=True)
    ]
    folder = pd.Series([r.rsplit("/", 1)[0] if "/" in r else "" for r in rel], index=d.index)
    linked = ~blank(d["project_key"]) & (folder != "")
    own = _most_common(d["project_key"][linked], folder[linked])
    libs = ~blank(d["source_list"])
    by_site = _most_common(d["source_site"][libs], d["source_list"][libs])
    site_lib = projects["source_site"].map(by_site)
    key = projects["project_key"]
    fallback = site_lib + " on " + projects["source_site"] + " (for " + key + ")"
    return key.map(own).fillna(fallback).fillna(targets).astype("string")


def _reference_upload_urls(projects: pd.DataFrame, docs: pd.DataFrame) -> pd.Series:
    urls = pd.Series(pd.NA, index=projects.index, dtype="object")
    d = docs[~blank(docs["path"]) & ~blank(docs["source_url"])]
    if d.empty:
        return urls
    origin = pd.Series([_origin(u) for u in d["source_url"].astype(str)], index=d.index)
    path = d["path"].astype(str)
    folder = pd.Series([p.rsplit("/", 1)[0] for p in path], index=d.index)
    site = d["source_site"].fillna("").astype(str).str.rstrip("/")
    library = [
        f"{s}/{p[len(s) + 1 :].split('/', 1)[0]}" if s and p.startswith(s + "/") else ""
        for p, s in zip(path, site, strict=True)
    ]
    absolute = origin + folder.map(lambda f: quote(f, safe="/"))
    roots = origin + pd.Series(library, index=d.index).map(lambda f: quote(f, safe="/"))
    linked = ~blank(d["project_key"])
    own = _most_common(d["project_key"][linked], absolute[linked])
    by_site = _most_common(d["source_site"], roots)
    own_url = projects["project_key"].map(own).astype("object")
    return own_url.where(own_url.notna(), projects["source_site"].map(by_site)).astype("object")


_SITES = [None, "", "/sites/a", "/sites/a/", "/sites/b", "/sites/é x"]
_KEYS = [None, "", " ", "SJ1", "SJ2", "sj1", "SJ3"]
_HEADS = ["/sites/a", "/sites/b", "/sites/é x", "", "/other", "sites/a"]
_PARTS = ["Project Documents", "Shared Documents", "SJ1", "SJ2", "é x", "f%20", "", " "]
_ORIGINS = [None, "", "https://city.sharepoint.com", "http://h:8080", "HTTPS://Other.example"]


def _documents(rnd: random.Random, n: int) -> list[dict]:
    """Documents on sites with and without a trailing "/", paths inside and outside their
    site, at its top or in nested folders, blank keys and links, names that need quoting."""
    docs = []
    for _ in range(n):
        parts = [rnd.choice(_PARTS) for _ in range(rnd.randrange(0, 4))]
        path = rnd.choice([None, "/".join([rnd.choice(_HEADS), *parts, "c.docx"])])
        origin = rnd.choice(_ORIGINS)
        docs.append(
            {
                "project_key": rnd.choice(_KEYS),
                "path": path,
                "source_site": rnd.choice(_SITES),
                "source_list": rnd.choice(_PARTS[:2]),  # normalize always sets it
                "source_url": None if origin is None or path is None else origin + quote(path),
            }
        )
    return docs


def _tables(docs: list[dict]) -> CanonicalTables:
    projects = PROJECTS.frame(
        [
            {"project_key": k, "source_site": s, "phase": "Execution"}
            for k, s in [
                ("SJ1", "/sites/a"),
                ("SJ2", "/sites/b"),
                ("SJ3", None),
                ("", "/sites/a"),
                ("SJ9", "/sites/é x"),
                ("SJ1", "/sites/b"),
            ]
        ]  # fmt: skip
    )
    return CanonicalTables(projects=projects, documents=DOCUMENTS.frame(docs))


@pytest.mark.parametrize("seed", range(40))
def test_upload_folders_and_addresses_match_the_per_row_definitions(seed):
    rnd = random.Random(seed)
    tables = _tables(_documents(rnd, rnd.choice([1, 5, 40, 200])))
    ctx = RuleContext(tables=tables, config=RulesConfig(), today=date(2026, 11, 1))
    pd.testing.assert_series_equal(
        _upload_targets(ctx), _reference_upload_targets(tables.projects, tables.documents)
    )
    pd.testing.assert_series_equal(
        _upload_folder_urls(ctx), _reference_upload_urls(tables.projects, tables.documents)
    )
