"""The public CSV is opened in spreadsheets: SharePoint text never runs there as a formula."""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from dataclasses import replace
from datetime import date

import pytest

from c3po_sync.sinks.dashboard_data import DashboardData
from c3po_sync.sinks.dashboard_export import public_csv, public_json


def _data(title: str) -> DashboardData:
    return DashboardData(
        title="Major projects",
        audience="public",
        as_of=date(2026, 11, 1),
        generated_at="2026-11-01T02:00:00Z",
        changes_since="2026-10-01",
        project_columns=["title", "budget"],
        projects=[{"title": title, "budget": -5.0}],
        by_phase=[],
        by_status=[],
        changes=[],
        finding_changes={},
        scorecard=[],
    )


def test_formula_text_is_written_as_text_and_numbers_stay_numbers() -> None:
    text = '=HYPERLINK("http://evil.example","x")'
    rows = list(csv.reader(io.StringIO(public_csv(_data(text)).decode("utf-8-sig"))))
    assert rows == [["Project", "Budget"], ["'" + text, "-5.0"]]
    assert json.loads(public_json(_data(text)))["projects"][0]["title"] == text


def test_plain_text_is_unchanged() -> None:
    rows = list(csv.reader(io.StringIO(public_csv(_data("Fire RMS")).decode("utf-8-sig"))))
    assert rows[1][0] == "Fire RMS"


def test_a_cancelled_or_halted_project_is_not_underway() -> None:
    """The public dashboard's "major projects underway" counts active projects as the rules
    do: a cancelled one (the demo's PARKCITE) or one on hold is not underway."""
    from c3po_sync.model.schema import PROJECTS
    from c3po_sync.rules import RulesConfig
    from c3po_sync.sinks.dashboard_data import major_underway

    projects = PROJECTS.frame(
        [
            {"project_key": key, "phase": "Execution", "state": state, "budget": 5_000_000.0}
            for key, state in (("LIVE", None), ("GONE", "Cancelled"), ("WAIT", "On hold"))
        ]
    )

    underway = major_underway(projects, RulesConfig())

    assert underway["project_key"].tolist() == ["LIVE"]


_VALUES = ["Fire RMS", "", "é ü 😀", 'q"uote\\', "line\nbreak", "\u2028", 0, -7, 10**20, 1.5,
           -0.0, float("nan"), float("inf"), True, False, None, date(2026, 1, 2), ["a", 1],
           {"n": {"m": []}}, {}, []]  # fmt: skip


def _reference(d: DashboardData) -> bytes:
    """public_json as json.dumps writes the whole document (what it was)."""
    projects = [{k: p.get(k) for k in d.project_columns} for p in d.projects]
    for p in projects:
        for k, v in p.items():
            p[k] = v.isoformat() if isinstance(v, date) else v
    doc = {
        "title": d.title,
        "as_of": d.as_of.isoformat(),
        "generated_at": d.generated_at,
        "changes_since": d.changes_since,
        "projects": projects,
        "projects_by_phase": dict(d.by_phase),
        "projects_by_status": dict(d.by_status),
        "changes": d.changes,
        "scorecard": d.scorecard,
        "intake": d.intake,
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


@pytest.mark.parametrize("seed", range(20))
def test_public_json_is_json_dumps_of_the_whole_document(seed: int) -> None:
    """The projects are encoded a project at a time in C; the bytes are json.dumps' own."""
    rng = random.Random(seed)
    columns = ["title", "budget", "phase", "start"][: rng.randint(1, 4)]
    data = replace(
        _data("x"),
        project_columns=columns,
        projects=[
            {c: rng.choice(_VALUES) for c in columns if rng.random() < 0.9}
            for _ in range(rng.randint(0, 12))
        ],
        by_phase=[("Execution", 3), ("Planning", rng.randint(0, 9))],
        changes=[{"project": "A", "change": rng.choice(_VALUES)}] if rng.random() < 0.5 else [],
        scorecard=[{"rec": 1, "score": 0.5, "notes": ["a", {"b": None}]}],
        intake={"requests": 3} if rng.random() < 0.5 else None,
    )
    assert public_json(data) == _reference(data)


def test_public_json_makes_no_python_call_per_project_value() -> None:
    """A city's 1,700 projects of a dozen fields were json's pure-Python encoder (indent)
    calling per value: the projects are now encoded in C, a project at a time."""
    data = replace(
        _data("x"),
        project_columns=["title", "budget", "phase"],
        projects=[{"title": f"P{i}", "budget": i * 1.5, "phase": "Execution"} for i in range(500)],
    )
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        public_json(data)
    finally:
        sys.setprofile(None)
    assert calls < 10 * len(data.projects)  # a few per project: it was ~70 (~23 per value)
    assert public_json(data) == _reference(data)
