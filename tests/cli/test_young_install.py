"""A young install: no run yet, or one. `runs` and `deltas` say so in a sentence and exit 0."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.state.store import StateStore

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture()
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped deployment in a folder with no var/ yet."""
    for d in ("config", "mappings", "jobs"):
        shutil.copytree(ROOT / d, tmp_path / d)
    monkeypatch.delenv("C3PO_STATE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["runs"], "no run recorded yet in"),
        (["runs", "--job", "weekly-rollup"], "no run of job 'weekly-rollup' recorded yet"),
        (["deltas"], "no run recorded yet"),
        (["deltas", "--since", "2026-09-01"], "no run recorded yet"),
        (["findings", "--rec", "7"], "no finding recorded yet"),
        (["findings", "--ppm", "someone@example.gov"], "no finding recorded yet"),
    ],
)
def test_an_empty_history_is_a_sentence_not_an_error(fresh: Path, args, says) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert says in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_deltas_since_a_date_before_the_first_run_compares_from_the_first_run(
    fresh: Path,
) -> None:
    with StateStore(f"sqlite:///{fresh / 'var' / 'state.db'}") as store:
        for day in (1, 2):
            run = store.start_run("nightly", "manual")
            store.save_snapshot(run, CanonicalTables(), datetime(2026, 11, day, tzinfo=UTC))
            store.finish_run(run, "ok")
    result = runner.invoke(app, ["deltas", "--since", "2026-09-01"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "no run before 2026-09-01" in text and "the first run is run 1 (2026-11-01)" in text
    assert "from run 1 to run 2 instead" in text and "change(s) from run 1 to run 2" in text


def test_deltas_with_one_run_says_there_is_nothing_to_compare_yet(fresh: Path) -> None:
    with StateStore(f"sqlite:///{fresh / 'var' / 'state.db'}") as store:
        run = store.start_run("nightly", "manual")
        store.save_snapshot(run, CanonicalTables(), datetime(2026, 11, 1, tzinfo=UTC))
        store.finish_run(run, "ok")
    for args in (["deltas"], ["deltas", "--since", "2026-09-01"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "nothing to compare yet" in " ".join(result.output.split())
