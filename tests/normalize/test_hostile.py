"""Issue 11/12: every hostile value is located in quarantine, every good one arrives unchanged."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import pandas as pd
import pytest

from c3po_sync.model.schema import TABLES
from c3po_sync.normalize import load_mappings, normalize
from c3po_sync.normalize.quarantine import raw_text
from c3po_sync.sources.base import RawRecord, SourceBatch, SourceRef
from c3po_sync.state.serialize import frame_to_rows
from tests.normalize.hostile_corpus import BAD, CASES, COLUMNS, MAPPING, Kept

MAIN = SourceRef("/sites/hostile", "Projects", "list")
NUMBERS = SourceRef("/sites/hostile", "Numbers", "list")
GOOD_STAMP = "2026-10-02T17:00:00Z"


def _records() -> tuple[list[RawRecord], list[RawRecord]]:
    main, numbers = [], []
    for i, (kind, raw, _) in enumerate(CASES, start=1):
        column, _field = COLUMNS[kind]
        values: dict[str, Any] = {"Code": f"K{i:03d}"}
        modified = GOOD_STAMP
        if kind == "datetime":
            modified = raw
        elif kind == "key":
            values["Code"] = raw
        else:
            values[column] = raw
        rec = RawRecord(i, values, etag=f'"{i}"', modified=modified)
        (numbers if kind == "number" else main).append(rec)
    return main, numbers


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "hostile.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    mappings = load_mappings(path)
    main, numbers = _records()
    batches = [
        SourceBatch(MAIN, [], main, time_zone="America/Los_Angeles"),
        SourceBatch(NUMBERS, [], numbers, time_zone="America/Los_Angeles"),
    ]
    return normalize(batches, mappings)


def test_the_corpus_is_big_and_covers_every_column_kind():
    kinds = Counter(k for k, _, _ in CASES)
    assert len(CASES) >= 100
    assert set(kinds) == set(COLUMNS)
    assert all(sum(1 for k, _, e in CASES if k == kind and e is BAD) >= 3 for kind in kinds)


@pytest.mark.parametrize(
    ("i", "case"),
    list(enumerate(CASES, start=1)),
    ids=lambda v: str(v) if isinstance(v, int) else str(v[0]),
)
def test_each_value_is_canonical_or_located(outcome, i, case):
    kind, raw, expect = case
    column, field = COLUMNS[kind]
    q = outcome.quarantine
    here = q[(q.source_item_id == i) & (q.column == column)]
    source = NUMBERS if kind == "number" else MAIN
    assert (here.source_site == source.site).all() and (here.source_list == source.list_title).all()
    rows = outcome.projects[outcome.projects.source_item_id == i]
    rows = rows[rows.source_list == source.list_title]
    if expect is BAD:
        assert len(here) >= 1, f"{raw!r} not quarantined at item {i}, column {column}"
        if raw is not None and not (isinstance(raw, str) and not raw.strip()):
            assert here.raw_value.iloc[0] == raw_text(raw)
        if kind != "key":  # the rest of the row goes on
            assert len(rows) == 1 and pd.isna(rows[field].iloc[0]) is True
        return
    assert here.empty or isinstance(expect, Kept), here.reason.tolist()
    assert len(rows) == 1, f"item {i} lost"
    got = rows[field].iloc[0]
    want = expect.value if isinstance(expect, Kept) else expect
    if isinstance(got, pd.Timestamp):
        got = got.to_pydatetime()
    if hasattr(got, "tolist"):
        got = got.tolist()
    assert (
        got == want
        and type(got) is type(want)
        or (isinstance(want, float) and math.isclose(got, want))
    ), (got, want)
    if isinstance(expect, Kept):
        assert here.problem.tolist() == ["unknown_value"]
        assert f"unknown value {expect.value!r} for {field}" in here.reason.iloc[0]
        assert (
            "map it in m/hostile.yaml" in here.reason.iloc[0]
            or "hostile.yaml" in (here.reason.iloc[0])
        )


def test_everything_normalize_produced_can_be_stored_and_shown(outcome):
    for name in ("projects", "quarantine"):
        frame = getattr(outcome, name)
        for _key, payload in frame_to_rows(TABLES[name], frame):
            payload.encode("utf-8")  # no lone surrogate reaches the state store
            json.loads(payload)


def test_look_alike_keys_are_one_project_reported_as_duplicates(outcome):
    p = outcome.projects
    assert (p.project_key == "KDUP").sum() == 1
    q = outcome.quarantine
    dups = q[q.problem == "duplicate_key"]
    assert len(dups) == 3 and dups.reason.str.contains("duplicate project key 'KDUP'").all()


def test_a_key_too_long_is_reported_never_cut(outcome):
    p = outcome.projects
    assert not p.project_key.str.len().gt(255).any()
    assert not (p.project_key == "X" * 255).any()
    q = outcome.quarantine
    assert q.reason.str.contains("SharePoint allows 255").sum() == 2


def test_hostile_document_cells_are_located_and_the_library_goes_on(tmp_path):
    path = tmp_path / "docs.yaml"
    path.write_text(
        "sources:\n"
        "  - {site: /sites/x, list: Projects, target: projects, key: Code}\n"
        "  - {site: /sites/x, list: Docs, kind: library, target: documents, link: [folder]}\n",
        encoding="utf-8",
    )
    ms = load_mappings(path)

    def doc(i: int, ref: str, size: Any = "10") -> RawRecord:
        leaf = ref.rsplit("/", 1)[1]
        values = {"FileRef": ref, "FileLeafRef": leaf, "FSObjType": 0, "File_x0020_Size": size}
        return RawRecord(i, values, modified=GOOD_STAMP)

    docs = [
        doc(1, "/sites/x/Docs/SJ311/ok.docx"),
        doc(2, "/sites/x/Docs/SJ311/bad\ud800.docx"),
        doc(3, "/sites/x/Docs/SJ311/huge.docx", size="9" * 401),
        doc(4, "/sites/x/Docs/SJ311/inf.docx", size=float("inf")),
    ]
    out = normalize(
        [
            SourceBatch(SourceRef("/sites/x", "Projects"), [], [RawRecord(1, {"Code": "SJ311"})]),
            SourceBatch(SourceRef("/sites/x", "Docs", "library"), [], docs),
        ],
        ms,
    )
    assert out.documents.name.tolist() == ["ok.docx", "huge.docx", "inf.docx"]
    assert out.documents["size"].isna().tolist() == [False, True, True]
    q = out.quarantine.set_index("source_item_id")
    assert q.loc[2, "column"] == "FileRef" and "surrogate" in q.loc[2, "reason"]
    assert q.loc[3, "column"] == q.loc[4, "column"] == "File_x0020_Size"
