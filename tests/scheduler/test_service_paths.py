"""The scheduler's paths no other test takes: a job skipped while another run holds its lock
or while shutting down, the stop signals, crontab weekdays, and site sessions closed after
every job (the service process lives on between jobs)."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.m365.http import SiteConnection
from c3po_sync.scheduler.cron import crontab_trigger
from c3po_sync.scheduler.lock import JobLock, lock_engine
from c3po_sync.scheduler.service import STOP, install_stop_handlers, run_scheduled
from c3po_sync.state.store import StateStore


@pytest.fixture()
def stop_flag():
    """STOP and the signal handlers are process-wide: put them back after the test."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    STOP.clear()
    yield STOP
    STOP.clear()
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_a_job_whose_lock_is_held_is_skipped_and_records_no_run(deployment) -> None:  # noqa: ANN001
    deployment.add_job("nightly", "[sync]")
    url = load_settings(deployment.config).resolved_lock_url
    holder = JobLock(lock_engine(url), "nightly", ttl=60)
    assert holder.acquire()
    try:
        assert run_scheduled(str(deployment.config), "nightly") == "skipped"
    finally:
        holder.release()
    with StateStore(deployment.state_url) as store:
        assert store.runs() == []
    assert deployment.server.stats.total == 0  # not one request to the tenant


def test_a_job_due_while_shutting_down_is_not_started(deployment, stop_flag) -> None:  # noqa: ANN001
    deployment.add_job("nightly", "[sync]")
    stop_flag.set()
    assert run_scheduled(str(deployment.config), "nightly") == "skipped"
    assert deployment.server.stats.total == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_sets_stop_once_and_calls_back_once(stop_flag, signum) -> None:  # noqa: ANN001
    calls: list[str] = []
    install_stop_handlers(lambda: calls.append("stop"))
    os.kill(os.getpid(), signum)
    assert stop_flag.is_set() and calls == ["stop"]
    os.kill(os.getpid(), signal.SIGTERM)  # a second signal while stopping changes nothing
    assert calls == ["stop"]


def _weekdays(dow: str) -> list[str]:
    """The days (Mon..Sun) a daily 03:00 crontab with this weekday field fires in a week."""
    trigger = crontab_trigger(f"0 3 * * {dow}", "UTC")
    at = datetime(2026, 12, 6, 12, tzinfo=UTC)  # a Sunday, after 03:00
    days = []
    for _ in range(7):
        at = trigger.get_next_fire_time(None, at + timedelta(seconds=1))
        if at > datetime(2026, 12, 13, 12, tzinfo=UTC):
            break
        days.append(at.strftime("%a"))
    return sorted(days, key=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].index)


@pytest.mark.parametrize(
    ("dow", "days"),
    [
        ("0", ["Sun"]),  # APScheduler alone would read 0 as Monday
        ("7", ["Sun"]),
        ("1", ["Mon"]),
        ("1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0,6", ["Sat", "Sun"]),
        ("*/2", ["Tue", "Thu", "Sat", "Sun"]),
        ("5/1", ["Fri", "Sat"]),
        ("sun", ["Sun"]),
        ("mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("*", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
    ],
)
def test_crontab_weekdays_mean_what_crontab_means(dow: str, days: list[str]) -> None:
    assert _weekdays(dow) == days


@pytest.mark.parametrize("expr", ["0 3 * * 8", "0 3 * * 6-2", "0 3 * *"])
def test_a_malformed_crontab_is_a_value_error(expr: str) -> None:
    with pytest.raises(ValueError):
        crontab_trigger(expr, "UTC")


def test_every_site_session_is_closed_after_a_scheduled_job(deployment, monkeypatch) -> None:  # noqa: ANN001
    opened: list[SiteConnection] = []
    closed: list[SiteConnection] = []
    real_open, real_close = SiteConnection.open.__func__, SiteConnection.close

    def spy_open(cls, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        conn = real_open(cls, *a, **kw)
        opened.append(conn)
        return conn

    def spy_close(self) -> None:  # noqa: ANN001
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(SiteConnection, "open", classmethod(spy_open))
    monkeypatch.setattr(SiteConnection, "close", spy_close)
    deployment.add_job("nightly", "[sync]")
    assert run_scheduled(str(deployment.config), "nightly") == "ok"
    assert len(opened) > 1  # the hub and the PPM sites
    assert {id(c) for c in closed} == {id(c) for c in opened}
