"""`c3po-sync findings` for auditors: open and resolved, JSON Lines, CSV, strict filters."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.model.schema import FINDINGS
from c3po_sync.state import StateStore

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 10, 1, 19, 0, tzinfo=UTC)


def _finding(rule_id: str, rec: int, key: str, ppm: str, message: str = "") -> dict:
    return {
        "finding_id": f"{rule_id}:{key}",
        "rule_id": rule_id,
        "recommendation": rec,
        "severity": "medium",
        "entity_kind": "project",
        "entity_key": key,
        "project_key": key,
        "ppm": ppm,
        "portfolio": "Community",
        "message": message or f"{rule_id} on {key}",
        "source_url": None,
    }


A = _finding("R10-project-no-asset", 10, "LIBWIFI", "maria.lopez@sanjoseca.gov")
B = _finding("R4-product-owner-missing", 4, "SJ311", "ana.ng@sanjoseca.gov")
# a message with a comma, a quote and a line break, and one that looks like a formula
C = _finding("DQ-phase-unknown", 0, "PAYROLL", "ana.ng@sanjoseca.gov", 'says "x",\nthen =SUM(A1)')
D = _finding("R7-charter-missing", 7, "WEBREC", "maria.lopez@sanjoseca.gov")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "state.db"
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{db}")
    with StateStore(f"sqlite:///{db}") as store:
        for day, rows in enumerate(([A, B, C, D], [B, C, D], [A, B, C])):
            run = store.start_run("nightly", "test")
            store.record_findings(run, FINDINGS.frame(rows), T0 + timedelta(days=day))
            store.finish_run(run, "ok", {})
    # A: opened day 0, resolved day 1, re-opened day 2; D: resolved on day 2
    return ROOT / "config" / "sandbox.yaml"


def _run(config: Path, *args: str):
    return CliRunner().invoke(app, ["findings", "--config", str(config), *args])


def test_json_lines_with_iso_dates_or_null(env: Path) -> None:
    res = _run(env, "--status", "all", "--json")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    rows = [json.loads(line) for line in lines]  # every line one JSON object
    assert len(rows) == 4
    assert "NaT" not in res.stdout and "NaN" not in res.stdout
    by_id = {r["finding_id"]: r for r in rows}
    a = by_id[A["finding_id"]]
    assert a["status"] == "open" and a["times_reopened"] == 1
    assert a["first_seen"] == "2026-10-01T19:00:00+00:00"
    assert a["reopened_at"] == "2026-10-03T19:00:00+00:00" and a["resolved_at"] is None
    d = by_id[D["finding_id"]]
    assert d["status"] == "resolved" and d["resolved_at"] == "2026-10-03T19:00:00+00:00"
    assert d["reopened_at"] is None and d["source_url"] is None


def test_default_is_open_and_status_resolved(env: Path) -> None:
    open_rows = [json.loads(x) for x in _run(env, "--json").stdout.splitlines()]
    assert {r["status"] for r in open_rows} == {"open"} and len(open_rows) == 3
    res = _run(env, "--status", "resolved", "--json")
    assert [json.loads(x)["finding_id"] for x in res.stdout.splitlines()] == [D["finding_id"]]
    table = _run(env, "--status", "all")
    assert table.exit_code == 0 and "2026-10-03" in table.stdout and "resolved" in table.stdout


def test_recommendations_sort_as_numbers(env: Path) -> None:
    rows = [json.loads(x) for x in _run(env, "--status", "all", "--json").stdout.splitlines()]
    assert [r["recommendation"] for r in rows] == [0, 4, 7, 10]
    csv_rows = list(csv.DictReader(io.StringIO(_run(env, "--status", "all", "--csv").stdout)))
    assert [r["recommendation"] for r in csv_rows] == ["0", "4", "7", "10"]


def test_csv_is_quoted_and_round_trips(env: Path) -> None:
    res = _run(env, "--status", "all", "--csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 4
    pay = next(r for r in rows if r["project_key"] == "PAYROLL")
    assert pay["message"] == C["message"]  # comma, quote and line break survive
    assert pay["resolved_at"] == "" and pay["first_seen"].startswith("2026-10-01T")
    assert res.stdout.splitlines()[0].startswith("finding_id,recommendation,rule_id")


@pytest.mark.parametrize(
    ("args", "valid"),
    [
        (["--ppm", "nobody@sanjoseca.gov"], "ana.ng@sanjoseca.gov, maria.lopez@sanjoseca.gov"),
        (["--portfolio", "Finanse"], "Community"),
        (["--project", "NOPE"], "LIBWIFI, PAYROLL, SJ311, WEBREC"),
        (["--rec", "11"], "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"),
        (["--status", "closed"], "open, resolved, all"),
    ],
)
def test_unknown_filter_values_are_errors_listing_the_valid_ones(
    env: Path, args: list[str], valid: str
) -> None:
    res = _run(env, *args)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1, res.stderr  # one line, whatever the terminal width
    assert valid in res.stderr and "Traceback" not in res.stderr


def test_known_filters_match_case_insensitively_and_resolved_values_are_valid(env: Path) -> None:
    res = _run(env, "--ppm", "MARIA.LOPEZ@sanjoseca.gov", "--json")
    assert [json.loads(x)["project_key"] for x in res.stdout.splitlines()] == ["LIBWIFI"]
    # WEBREC has only a resolved finding: a valid value, with no open finding
    res = _run(env, "--project", "WEBREC", "--json")
    assert res.exit_code == 0 and res.stdout == ""


def test_the_table_fits_80_columns_without_losing_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped or logged (80 columns, no terminal), the message column used to be cut at the
    right edge with no ellipsis: "Charter missing: AM" and the rest gone."""
    message = (
        "Charter missing: AMANDA7 is in Execution; upload the signed charter to "
        "Project Documents/AMANDA7"
    )
    db = tmp_path / "state.db"
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("COLUMNS", "80")
    row = _finding("R7-charter-missing", 7, "AMANDA7", "priya.raman@sanjoseca.gov", message)
    with StateStore(f"sqlite:///{db}") as store:
        run = store.start_run("nightly", "test")
        store.record_findings(run, FINDINGS.frame([row]), T0)
        store.finish_run(run, "ok", {})

    res = _run(ROOT / "config" / "sandbox.yaml", "--rec", "7")

    assert res.exit_code == 0, res.output
    lines = [line for line in res.stdout.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 80
    body = lines[1:]  # the title is centred, the table is boxed: every row closes its box
    assert all(line.rstrip()[-1] in "┓┃┩│┘" for line in body), res.stdout
    column = " ".join(line.split("│")[-2].strip() for line in body if line.startswith("│"))
    assert column.split() and "".join(column.split()) == "".join(message.split())  # all of it
