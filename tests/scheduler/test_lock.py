"""The job lock: one holder at a time across processes; a crashed holder's lease expires."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path

import pytest

from c3po_sync.scheduler.lock import JobLock, JobLockedError, lock_engine


def _contend(url: str, start, hold, results) -> None:  # noqa: ANN001 - multiprocessing objects
    engine = lock_engine(url)
    lock = JobLock(engine, "nightly", ttl=60)
    start.wait()
    got = lock.acquire()
    results.put((os.getpid(), got))
    hold.wait()
    lock.release()


def _crash_holding(url: str, done) -> None:  # noqa: ANN001
    lock = JobLock(lock_engine(url), "nightly", ttl=60)
    assert lock.acquire()
    done.set()
    os._exit(0)  # no release, no more heartbeats: as if the process was killed


def test_only_one_process_gets_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    lock_engine(url).dispose()  # create the table before the race
    ctx = mp.get_context("spawn")
    start, hold, results = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_contend, args=(url, start, hold, results)) for _ in range(3)]
    for p in procs:
        p.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in procs]
    assert sorted(got for _, got in outcomes) == [False, False, True]
    # While the winner holds it, this process cannot take it either.
    with pytest.raises(JobLockedError, match="already running"):
        with JobLock(lock_engine(url), "nightly"):
            pass
    hold.set()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with JobLock(lock_engine(url), "nightly") as lock:  # released: free again
        assert lock.held


def test_crashed_holder_blocks_until_the_lease_expires(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    ctx = mp.get_context("spawn")
    done = ctx.Event()
    p = ctx.Process(target=_crash_holding, args=(url, done))
    p.start()
    p.join(timeout=60)
    assert done.is_set()
    engine = lock_engine(url)
    assert not JobLock(engine, "nightly").acquire()
    later = JobLock(engine, "nightly", clock=lambda: time.time() + 61)  # after the lease
    assert later.acquire()
    assert later.holder_info()["holder"] == later.holder
    later.release()
    assert later.holder_info() is None


def test_other_jobs_are_not_blocked(tmp_path: Path) -> None:
    engine = lock_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with JobLock(engine, "nightly"):
        with JobLock(engine, "weekly-rollup") as other:
            assert other.held


def test_heartbeat_renews_the_lease(tmp_path: Path) -> None:
    engine = lock_engine(f"sqlite:///{tmp_path / 'state.db'}")
    lock = JobLock(engine, "nightly", ttl=60)
    assert lock.acquire()
    first = lock.holder_info()["expires_at"]
    assert lock.renew()
    assert lock.holder_info()["expires_at"] >= first
    lock.release()
    assert not lock.renew()  # a released lease cannot be renewed
