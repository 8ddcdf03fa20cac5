"""A scheduled run logs its start, end, counts and outcome at INFO: journalctl shows a healthy
service (issue 13); a job that cannot start says why."""

from __future__ import annotations

import logging

from c3po_sync.scheduler.service import run_scheduled


def test_a_scheduled_run_logs_start_end_counts_and_outcome(deployment, caplog) -> None:  # noqa: ANN001
    deployment.add_job("nightly", "[sync, evaluate]")
    with caplog.at_level(logging.INFO, logger="c3po_sync"):
        assert run_scheduled(str(deployment.config), "nightly") == "ok"
    lines = [r.getMessage() for r in caplog.records if r.name == "c3po_sync.scheduler.service"]
    assert lines[0] == "job nightly: started (scheduled)"
    end = lines[-1]
    assert end.startswith("job nightly run 1: ok in ") and "152 items from 7 sources" in end
    assert "open findings (" in end and "requests" in end
    steps = [r.getMessage() for r in caplog.records if r.name == "c3po_sync.pipeline.runner"]
    assert any(" step sync done in " in m and "152 items" in m for m in steps)


def test_a_job_with_a_broken_config_logs_an_error_not_a_traceback(deployment, caplog) -> None:  # noqa: ANN001
    with caplog.at_level(logging.INFO, logger="c3po_sync"):
        assert run_scheduled(str(deployment.config), "no-such-job") == "failed"
    (err,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "no-such-job" in err.getMessage() and err.exc_info is None


def test_progress_lines_when_not_a_terminal(deployment) -> None:  # noqa: ANN001
    """Not a TTY: one line per step (START / OK with counts and time) and per source."""
    import io

    from rich.console import Console

    from c3po_sync.cli.progress import StepProgress
    from c3po_sync.config.settings import load_settings
    from c3po_sync.pipeline.prepare import prepare_run
    from c3po_sync.wiring import run_prepared

    deployment.add_job("nightly", "[sync, evaluate]")
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    inputs = prepare_run(deployment.config, "nightly", settings=load_settings(deployment.config))
    with StepProgress(console, steps=inputs.job.ordered_steps):
        run_prepared(inputs)
    text = out.getvalue()
    assert "1 of 2 START sync" in text
    assert "read /sites/itd/IT Asset Inventory: 28 item(s)" in text
    assert "1 of 2 OK sync — 152 items from 7 sources [in " in text
    assert "2 of 2 OK evaluate — " in text
