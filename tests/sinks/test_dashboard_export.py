"""The public CSV is opened in spreadsheets: SharePoint text never runs there as a formula."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

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
