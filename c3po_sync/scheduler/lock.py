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
from typing import Any

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

from c3po_sync.errors import C3POError
from c3po_sync.private_files import private_sqlite
from c3po_sync.state.liveness import parse_holder, pid_is_dead

__all__ = ["JobLock", "JobLockedError", "lock_engine", "parse_holder", "pid_is_dead"]

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


class JobLockedError(C3POError, RuntimeError):
    """Another process holds the job's lock; the message names the holder and its expiry."""

    transient = True  # the holder finishes or its lease expires


def lock_engine(url: str) -> Engine:
    """An engine for the lock table; SQLite waits on a busy database instead of failing."""
    if make_url(url).get_backend_name() == "sqlite":
        private_sqlite(url)  # the lock lives in the state database, which may not exist yet
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


class JobLock:
    """A lease on one job: acquired atomically, renewed by a heartbeat, expiring if not renewed.

    A holder that crashes stops renewing, so after ``ttl`` seconds the lease expires and the
    next run takes it over; a live holder renews every ``ttl / 3`` seconds. A holder on this
    host whose process is gone (SIGKILL, OOM kill, power cut of a container) is taken over at
    once: waiting out its lease would only make the next run fail "already running". Holders
    on other hosts cannot be probed, so for them the lease expiry stays the only way.
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
        self.host = socket.gethostname()
        self.holder = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.held = False

    def acquire(self) -> bool:
        """Takes the lease if it is free, expired or its holder died here; False otherwise."""
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
            else:
                self.held = self._take_over_dead_holder(values)
        if self.held:
            self._start_heartbeat()
        return self.held

    def _take_over_dead_holder(self, values: dict[str, object]) -> bool:
        """Replaces a lease whose holder process on this host no longer exists."""
        info = self.holder_info()
        if info is None:
            return False
        holder = str(info["holder"])
        parsed = parse_holder(holder)
        if parsed is None or parsed[0] != self.host or parsed[1] == os.getpid():
            return False
        if not pid_is_dead(parsed[1]):
            return False
        # Compare-and-set on the dead holder: of several contenders only one replaces it.
        with self.engine.begin() as conn:
            res = conn.execute(
                update(job_locks)
                .where(job_locks.c.job == self.job, job_locks.c.holder == holder)
                .values(**values)
            )
        if res.rowcount != 1:
            return False
        left = float(info["expires_at"]) - self.clock()
        log.warning(
            "job %s: took over the lock of %s: process %d on this host is gone "
            "(killed?) %.0fs before its lease would have expired",
            self.job,
            holder,
            parsed[1],
            left,
        )
        return True

    def holder_info(self) -> dict[str, Any] | None:
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
