"""The benchmark harness works end to end at --quick size (no timing assertions)."""

from __future__ import annotations

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
                "write-back, first run", "write-back after 1% change", "Excel rollup",
                "nightly job"):  # fmt: skip
        assert f"| {row}" in text
    assert "| target | measured |" in text
    import json

    rows = json.loads(raw.read_text())["rows"]
    full = next(r for r in rows if r["name"] == "full sync")
    assert full["total"] > 0 and full["minimum"] > 0 and full["baseline_requests"] > 0
    assert all(r["detail"].get("outcome") == "ok" for r in rows)
