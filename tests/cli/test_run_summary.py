"""The run summary a PPM office lead reads after `c3po-sync run notify`: what became of the
digests, and the findings no digest could carry."""

from __future__ import annotations

import io

from rich.console import Console

from c3po_sync.cli.summary import render_result
from c3po_sync.pipeline.result import RunResult
from c3po_sync.pipeline.steps.notify import DigestOutcome


def _summary(result: RunResult) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    render_result(result, console)
    return console.export_text()


def _outcome(ppm: str, state: str, error: str | None = None) -> DigestOutcome:
    return DigestOutcome(ppm, "mail", state, "C3PO digest: 1 new finding(s)", 1, "", error)


def test_the_notify_summary_says_how_many_digests_went_out_and_what_reached_nobody() -> None:
    result = RunResult(run_id=3, job="notify", outcome="ok")
    result.digests = [_outcome(f"p{i}@x.gov", "sent") for i in range(7)]
    result.digests.append(_outcome("dana@x", "refused", "ErrorInvalidRecipients"))
    result.findings_without_ppm = 3

    out = _summary(result)

    assert "digests: 1 refused, 7 sent" in out
    assert "dana@x (mail): refused, 1 item(s): ErrorInvalidRecipients" in out
    assert "3 open finding(s) name no PPM: no digest tells them" in out


def test_an_idle_notify_run_says_nothing_was_sent_and_other_jobs_say_nothing_of_digests() -> None:
    idle = RunResult(run_id=4, job="notify", outcome="ok")
    idle.findings_without_ppm = 0
    nightly = RunResult(run_id=5, job="nightly", outcome="ok")

    assert "digests: none: nothing new to tell any PPM" in _summary(idle)
    assert "no PPM" not in _summary(idle)
    assert "digests" not in _summary(nightly)
