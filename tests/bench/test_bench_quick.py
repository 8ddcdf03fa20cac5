"""The benchmark harness works end to end at --quick size (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app

pytestmark = pytest.mark.bench


def test_bench_quick_writes_a_table(tmp_path: Path) -> None:
    out, raw = tmp_path / "bench.md", tmp_path / "bench.json"
    result = CliRunner().invoke(
        app, ["bench", "--quick", "--latency", "0", "--out", str(out), "--json-out", str(raw)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for row in ("full sync", "idle incremental sync", "incremental sync, 1% changed",
                "write-back, first run", "write-back, nothing changed",
                "write-back after 1% change", "Excel rollup", "nightly job"):  # fmt: skip
        assert f"| {row}" in text
    assert "| target | measured |" in text
    rows = {r["name"]: r for r in json.loads(raw.read_text())["rows"]}
    full = rows["full sync"]
    assert full["total"] > 0 and full["minimum"] > 0 and full["baseline_requests"] > 0
    assert all(r["detail"].get("outcome") == "ok" for r in rows.values())
    # The rows share one sandbox and one state store, in a deployment's order: the idle sync
    # after the full one only asks each site's change log, and a second write-back writes nothing.
    idle = rows["idle incremental sync"]
    assert idle["total"] == idle["minimum"] == idle["requests"]["change-log"]
    nothing = rows["write-back, nothing changed"]
    assert nothing["batch_ops"] == 0 and nothing["requests"]["writes"] == 0
    assert rows["write-back after 1% change"]["detail"]["rows_written"] > 0


def test_bench_renders_saved_json_and_reduced_baseline(tmp_path: Path) -> None:
    raw, out = tmp_path / "bench.json", tmp_path / "bench.md"
    result = CliRunner().invoke(
        app, ["bench", "--quick", "--latency", "0", "--baseline", "ratio", "--json-out", str(raw)]
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["bench", "--from-json", str(raw), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "--baseline ratio" in text and "(read phase only: a lower bound)" in text
