"""Each fire time of a job runs once, however many schedulers share the job store.

APScheduler 3 does not coordinate schedulers that share a job store: each one that wakes
while a job is due runs it. The job lock (scheduler.lock) keeps two runs from overlapping but
not a second run of the same fire time after the first has finished. So before a run is
submitted, its (job, fire time) is claimed with a keyed insert in the shared database; only
the scheduler whose insert lands runs it, the others log that it ran elsewhere.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from sqlalchemy import Column, Float, MetaData, String, Table, delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from c3po_sync.scheduler.lock import create_once

log = logging.getLogger(__name__)

metadata = MetaData()
job_fires = Table(
    "job_fires",
    metadata,
    Column("job", String(200), primary_key=True),
    Column("fire_time", String(40), primary_key=True),  # ISO 8601, UTC
    Column("holder", String(200), nullable=False),
    Column("claimed_at", Float, nullable=False),
)
KEEP_CLAIMS_S = 14 * 86400  # far longer than any misfire grace


def claim(engine: Engine, job: str, fire_time: datetime, holder: str) -> bool:
    """True if this caller is the first to claim ``job`` at ``fire_time``."""
    now = time.time()
    key = fire_time.astimezone(UTC).isoformat()
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(job_fires).values(job=job, fire_time=key, holder=holder, claimed_at=now)
            )
            conn.execute(delete(job_fires).where(job_fires.c.claimed_at < now - KEEP_CLAIMS_S))
    except IntegrityError:
        return False
    return True


class ClaimingExecutor(ThreadPoolExecutor):
    """The scheduler's thread pool, submitting only the fire times this scheduler claimed."""

    def __init__(
        self, engine: Engine, max_workers: int, own_args: dict[str, str] | None = None
    ) -> None:
        """``own_args``: function reference -> the first argument this process runs it with
        (its settings file), whatever another scheduler stored in the shared job store."""
        super().__init__(max_workers)
        create_once(lambda: metadata.create_all(engine))
        self.engine = engine
        self.own_args = own_args or {}
        self.holder = f"{socket.gethostname()}:{os.getpid()}"

    def submit_job(self, job: Any, run_times: list[datetime]) -> None:
        mine = [t for t in run_times if claim(self.engine, job.id, t, self.holder)]
        if len(mine) < len(run_times):
            log.info(
                "job %s: %d fire time(s) already run by another scheduler",
                job.id,
                len(run_times) - len(mine),
            )
        if not mine:
            return
        first = self.own_args.get(job.func_ref)
        if first is not None and job.args and job.args[0] != first:
            # The job was just read from the store for this wake-up; written back, it carries
            # this scheduler's path, which every other scheduler overrides the same way.
            job.args = (first, *job.args[1:])
        super().submit_job(job, mine)
