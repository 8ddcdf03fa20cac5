"""The shortcuts that keep evaluate cheap give exactly what the plain per-value code gives.

Evaluate parses each distinct URL head once (rules.documents.origins) and works out each
distinct history value once (rules.history._comparable_all); both are checked against the
one-value-at-a-time definitions they replace, on generated values, including the odd ones.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from c3po_sync.rules.documents import origins
from c3po_sync.rules.history import WATCHED, _comparable, _comparable_all

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
