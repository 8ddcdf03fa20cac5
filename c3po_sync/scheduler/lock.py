"""A job lock in the state database, so a job never runs twice at once, across processes too."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import (
    Column,
    Float,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

log = logging.getLogger(__name__)

metadata = MetaData()

# Its own table: the lock is the scheduler's business, not the state store's.
job_locks = Table(
    "job_locks",
    metadata,
    Column("job", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)


class JobLockedError(RuntimeError):
    """Another process holds the job's lock; the message names the holder and its expiry."""


def lock_engine(url: str) -> Engine:
    """An engine for the lock table; SQLite waits on a busy database instead of failing."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


class JobLock:
    """A lease on one job: acquired atomically, renewed by a heartbeat, expiring if not renewed.

    A holder that crashes stops renewing, so after ``ttl`` seconds the lease expires and the
    next run takes it over; a live holder renews every ``ttl / 3`` seconds.
    """

    def __init__(
        self,
        engine: Engine,
        job: str,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.job = job
        self.ttl = ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.held = False

    def acquire(self) -> bool:
        """Takes the lease if it is free or expired; False if a live holder has it."""
        now = self.clock()
        values = {"holder": self.holder, "acquired_at": now, "expires_at": now + self.ttl}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(job_locks).values(job=self.job, **values))
            self.held = True
        except IntegrityError:
            # Compare-and-set: only one of several contenders can replace an expired lease.
            with self.engine.begin() as conn:
                res = conn.execute(
                    update(job_locks)
                    .where(job_locks.c.job == self.job, job_locks.c.expires_at < now)
                    .values(**values)
                )
            self.held = res.rowcount == 1
            if self.held:
                log.warning("job %s: took over an expired lock", self.job)
        if self.held:
            self._start_heartbeat()
        return self.held

    def holder_info(self) -> dict[str, object] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(job_locks).where(job_locks.c.job == self.job)).first()
        return dict(row._mapping) if row else None

    def renew(self) -> bool:
        """Extends the lease; False means it was lost (expired and taken by another process)."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(job_locks)
                .where(job_locks.c.job == self.job, job_locks.c.holder == self.holder)
                .values(expires_at=self.clock() + self.ttl)
            )
        return res.rowcount == 1

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
            self._beat = None
        if self.held:
            with self.engine.begin() as conn:
                conn.execute(
                    delete(job_locks).where(
                        job_locks.c.job == self.job, job_locks.c.holder == self.holder
                    )
                )
            self.held = False

    def _start_heartbeat(self) -> None:
        self._stop.clear()

        def beat() -> None:
            while not self._stop.wait(self.ttl / 3):
                try:
                    if not self.renew():
                        log.error("job %s: lock lost to another holder", self.job)
                        return
                except Exception as e:  # a transient database error must not kill the run
                    log.warning("job %s: lock heartbeat failed: %s", self.job, e)

        self._beat = threading.Thread(target=beat, name=f"lock-{self.job}", daemon=True)
        self._beat.start()

    def __enter__(self) -> JobLock:
        if not self.acquire():
            info = self.holder_info() or {}
            left = max(0.0, float(info.get("expires_at", 0)) - self.clock())
            raise JobLockedError(
                f"job {self.job!r} is already running (held by {info.get('holder')}, "
                f"lease expires in {left:.0f}s unless renewed)"
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
