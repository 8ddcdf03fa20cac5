"""Issue 12: how a text column is written is said in the mapping, checked at load, used per row."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from c3po_sync.normalize import MappingError, load_mappings, normalize
from c3po_sync.sources.base import FieldInfo, RawRecord, SourceBatch, SourceRef

REF = SourceRef("/sites/x", "Projects")

BASE = """\
sources:
  - site: /sites/x
    list: Projects
    target: projects
    key: {{column: Code, pattern: "[A-Z]{{2,8}}[0-9]{{0,4}}"}}
    fields:
      title: {{column: Title, required: true}}
      {extra}
"""


def _load(tmp_path: Path, extra: str):
    path = tmp_path / "x.yaml"
    path.write_text(textwrap.dedent(BASE.format(extra=extra)))
    return load_mappings(path)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("start_date: {column: S, formats: ['%d/%m']}", "formats[0]: '%d/%m' does not name day"),
        ("start_date: {column: S, formats: ['dd/mm/yyyy']}", "not a strptime format"),
        ("budget: {column: B, transform: currency, formats: ['%d/%m/%Y']}", "budget.formats"),
        ("title2: T", "no such canonical field"),
        ("budget: {column: B, transform: currency, min: 10, max: 1}", "budget.min: 10.0 is above"),
        ("budget: {column: B, transform: currency, percent: true}", "budget.percent: applies"),
        ("start_date: {column: S, exponent: true}", "start_date.exponent: applies only"),
        ("start_date: {column: S, excel_serial: yes please}", "excel_serial"),
        ("budget: {column: B, transform: currency, min: lots}", "budget.min"),
        ("budget: {column: B, transform: currency, unit: lakhs}", "budget.unit"),
        ("start_date: {column: S, unit: millions}", "start_date.unit: applies only"),
    ],
)
def test_a_bad_value_option_fails_at_load_naming_file_and_key(tmp_path, extra, problem):
    with pytest.raises(MappingError) as info:
        _load(tmp_path, extra)
    text = str(info.value)
    assert "x.yaml" in text and "sources[0]" in text and problem in text, text


def _run(tmp_path, extra, records, fields=()):
    ms = _load(tmp_path, extra)
    batch = SourceBatch(REF, list(fields), records, time_zone="America/Los_Angeles")
    return normalize([batch], ms)


def test_negative_and_absurd_budgets_are_quarantined_never_summed(tmp_path):
    extra = "budget: {column: B, transform: currency, min: 0, max: 1000000000}"
    recs = [
        RawRecord(1, {"Code": "AA", "Title": "a", "B": "$1.2M"}),
        RawRecord(2, {"Code": "BB", "Title": "b", "B": "(1,000)"}),
        RawRecord(3, {"Code": "CC", "Title": "c", "B": "$5 billion"}),
    ]
    out = _run(tmp_path, extra, recs)
    assert out.projects.budget.sum() == 1_200_000.0
    q = out.quarantine
    assert q[q.problem == "out_of_range"].source_item_id.tolist() == [2, 3]


def test_a_column_in_millions_scales_bare_amounts_once(tmp_path):
    extra = "budget: {column: B, transform: currency, unit: millions, min: 0, max: 1.0e10}"
    recs = [
        RawRecord(1, {"Code": "AA", "Title": "a", "B": "15.297"}),
        RawRecord(2, {"Code": "BB", "Title": "b", "B": 0.179}),  # a number on the wire
        RawRecord(3, {"Code": "CC", "Title": "c", "B": "242.985 ($m)"}),  # names its unit
        RawRecord(4, {"Code": "DD", "Title": "d", "B": "$950K"}),  # names another unit
        RawRecord(5, {"Code": "EE", "Title": "e", "B": "119098.812"}),  # in $ thousands: absurd
    ]
    out = _run(tmp_path, extra, recs)
    assert out.projects.budget.tolist()[:4] == [15_297_000.0, 179_000.0, 242_985_000.0, 950_000.0]
    q = out.quarantine
    assert q[["source_item_id", "problem"]].values.tolist() == [[5, "out_of_range"]]


def test_an_integer_key_drops_grouping_commas_only(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(
        "sources:\n  - {site: /sites/x, list: Projects, target: projects,\n"
        "     key: {column: Code, integer: true}, fields: {title: Title}}\n"
    )
    recs = [
        RawRecord(1, {"Code": "1,944", "Title": "a"}),
        RawRecord(2, {"Code": 656.0, "Title": "b"}),
        RawRecord(3, {"Code": "19.44", "Title": "c"}),
        RawRecord(4, {"Code": "1944", "Title": "d"}),  # the same key as item 1
    ]
    out = normalize([SourceBatch(REF, [], recs)], load_mappings(path))
    assert out.projects.project_key.tolist() == ["1944", "656"]
    q = out.quarantine.set_index("source_item_id")
    assert q.loc[3, "problem"] == "invalid_key" and q.loc[4, "problem"] == "duplicate_key"


def test_required_columns_and_key_pattern_are_reported(tmp_path):
    recs = [
        RawRecord(1, {"Code": "AA", "Title": None}),
        RawRecord(2, {"Code": "not a key", "Title": "b"}),
    ]
    out = _run(tmp_path, "budget: B", recs)
    q = out.quarantine.set_index("source_item_id")
    assert q.loc[1, "problem"] == "required" and q.loc[1, "column"] == "Title"
    assert q.loc[2, "problem"] == "invalid_key"
    assert out.projects.project_key.tolist() == ["AA"]


def test_day_first_dates_by_mapping_and_ambiguous_ones_quarantined(tmp_path):
    extra = "start_date: {column: S, formats: ['%d/%m/%Y', '%m/%d/%Y']}"
    recs = [
        RawRecord(1, {"Code": "AA", "Title": "a", "S": "25/12/2021"}),
        RawRecord(2, {"Code": "BB", "Title": "b", "S": "03/04/2021"}),
    ]
    out = _run(tmp_path, extra, recs)
    assert out.projects.start_date.tolist() == [date(2021, 12, 25), None]
    assert out.quarantine.problem.tolist() == ["ambiguous"]


SHIFT = """\
budget: {column: Cost, transform: currency}
      start_date: Start
      target_end: End
      phase: {column: Phase, transform: choice, allowed: [Initiation, Execution, Closed]}
      high_profile: HP"""
ORDER = ["Code", "Title", "Phase", "Cost", "Start", "End", "HP"]


def test_a_row_with_shifted_columns_is_reported_once_not_as_a_junk_project(tmp_path):
    fields = [FieldInfo(c, c, "Text") for c in ORDER]
    good = {"Code": "AA", "Title": "a", "Phase": "Execution", "Cost": "$1M"}
    good |= {"Start": "2021-01-04", "End": "2022-01-04", "HP": "No"}
    # one stray delimiter after Title: every later value sits one column to the right
    shifted = {"Code": "BB", "Title": "b", "Phase": "", "Cost": "Execution", "Start": "$2M"}
    shifted |= {"End": "2021-02-01", "HP": "2022-02-01"}
    out = _run(tmp_path, SHIFT, [RawRecord(1, good), RawRecord(2, shifted)], fields)
    assert out.projects.project_key.tolist() == ["AA"]
    q = out.quarantine
    assert len(q) == 1 and q.problem.iloc[0] == "shifted_columns"
    assert "columns appear shifted" in q.reason.iloc[0] and q.source_item_id.iloc[0] == 2


def test_two_unrelated_bad_values_are_not_called_a_shift(tmp_path):
    fields = [FieldInfo(c, c, "Text") for c in ORDER]
    row = {"Code": "AA", "Title": "a", "Phase": "Execution", "Cost": "TBD"}
    row |= {"Start": "soon", "End": "2022-01-04", "HP": "maybe"}
    out = _run(tmp_path, SHIFT, [RawRecord(1, row)], fields)
    assert out.projects.project_key.tolist() == ["AA"]
    assert set(out.quarantine.problem) == {"invalid"} and len(out.quarantine) == 3
