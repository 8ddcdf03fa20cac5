"""The scheduler: persistent job store, misfires after downtime, coalescing, edits applied."""

from __future__ import annotations

import queue
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler

from c3po_sync.config.jobs import load_jobs
from c3po_sync.config.settings import load_settings
from c3po_sync.scheduler.service import build_scheduler, next_run_time
from c3po_sync.state.store import StateStore


def _build(dep):  # noqa: ANN001, ANN202
    settings = load_settings(dep.config)
    return build_scheduler(
        settings, dep.config, load_jobs(dep.jobs_dir), scheduler_cls=BackgroundScheduler
    )


def _stop_with_next_run(dep, job_id: str, when: datetime) -> None:  # noqa: ANN001
    """A scheduler that ran before, then went down with ``job_id`` due at ``when``."""
    s = _build(dep)
    s.start(paused=True)
    s.shutdown()
    # Edit the stored row directly: a scheduler shutting down may still process due jobs.
    store = _build(dep)._lookup_jobstore("default")
    job = store.lookup_job(job_id)
    job._modify(next_run_time=when)
    store.update_job(job)
    store.shutdown()


def _events(s) -> queue.Queue:  # noqa: ANN001
    q: queue.Queue = queue.Queue()
    s.add_listener(q.put, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return q


def test_jobs_persist_in_the_state_database(deployment) -> None:  # noqa: ANN001
    deployment.add_job("sync-only", "[sync]")
    s = _build(deployment)
    s.start(paused=True)
    job = s.get_job("sync-only")
    assert job is not None and job.misfire_grace_time == 3600 and job.coalesce
    assert job.next_run_time == next_run_time(load_jobs(deployment.jobs_dir)["sync-only"])
    s.shutdown()
    s2 = _build(deployment)  # same database: the job is there after a restart
    s2.start(paused=True)
    assert [j.id for j in s2.get_jobs()] == ["sync-only"]
    s2.shutdown()


def test_misfire_after_downtime_beyond_grace_is_skipped(deployment) -> None:  # noqa: ANN001
    deployment.add_job("sync-only", "[sync]", grace=1)
    _stop_with_next_run(deployment, "sync-only", datetime.now(UTC) - timedelta(hours=2))
    s = _build(deployment)
    events = _events(s)
    s.start()
    event = events.get(timeout=60)
    s.shutdown()
    assert event.code == EVENT_JOB_MISSED
    with StateStore(deployment.state_url) as store:
        assert store.runs() == []  # nothing ran
    s3 = _build(deployment)
    s3.start(paused=True)
    assert s3.get_job("sync-only").next_run_time > datetime.now(UTC)  # rescheduled
    s3.shutdown()


def test_misfires_within_grace_run_once_coalesced(deployment) -> None:  # noqa: ANN001
    # Hourly, down for five hours: five missed fire times, one run.
    deployment.add_job("sync-only", "[sync]", cron="0 * * * *", grace=86400)
    _stop_with_next_run(deployment, "sync-only", datetime.now(UTC) - timedelta(hours=5))
    s = _build(deployment)
    events = _events(s)
    s.start()
    event = events.get(timeout=120)
    s.shutdown(wait=True)
    assert event.code == EVENT_JOB_EXECUTED, event
    assert event.retval == "ok"
    with StateStore(deployment.state_url) as store:
        runs = store.runs()
    assert [(r["job"], r["trigger"], r["outcome"]) for r in runs] == [
        ("sync-only", "schedule", "ok")
    ]
    assert runs[0]["counts"]["items_read"] > 0 and runs[0]["finished_at"] is not None


def test_edited_schedule_replaces_the_stored_job(deployment) -> None:  # noqa: ANN001
    deployment.add_job("sync-only", "[sync]", cron="0 3 * * *")
    deployment.add_job("gone", "[sync]")
    s = _build(deployment)
    s.start(paused=True)
    s.shutdown()
    deployment.add_job("sync-only", "[sync]", cron="30 4 * * 2", grace=60)
    (deployment.jobs_dir / "gone.yaml").unlink()
    s2 = _build(deployment)
    s2.start(paused=True)
    assert [j.id for j in s2.get_jobs()] == ["sync-only"]
    job = s2.get_job("sync-only")
    assert job.misfire_grace_time == 60
    local = job.next_run_time.astimezone(job.trigger.timezone)
    assert (local.weekday(), local.hour, local.minute) == (1, 4, 30)
    s2.shutdown()


def test_next_run_time_honours_the_time_zone() -> None:
    from c3po_sync.config.jobs import Job

    job = Job.model_validate(
        {
            "id": "x",
            "steps": ["sync"],
            "schedule": {"cron": "0 2 * * *", "timezone": "Europe/Paris"},
        }
    )
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    nxt = next_run_time(job, now)
    assert nxt.utcoffset() == timedelta(hours=1) and (nxt.day, nxt.hour) == (2, 2)
    assert next_run_time(Job.model_validate({"id": "y", "steps": ["sync"]})) is None
