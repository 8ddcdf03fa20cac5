"""The job lock: one holder at a time across processes; a crashed holder's lease expires."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import insert

from c3po_sync.scheduler.lock import (
    JobLock,
    JobLockedError,
    job_locks,
    lock_engine,
    parse_holder,
    pid_is_dead,
)


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


def test_crashed_holder_on_another_host_blocks_until_the_lease_expires(tmp_path: Path) -> None:
    """A holder on another host cannot be probed: only its lease expiry frees the job."""
    engine = lock_engine(f"sqlite:///{tmp_path / 'state.db'}")
    now = time.time()
    with engine.begin() as conn:
        conn.execute(
            insert(job_locks).values(
                job="nightly", holder="other-host:1:deadbeef", acquired_at=now, expires_at=now + 60
            )
        )
    assert not JobLock(engine, "nightly").acquire()
    later = JobLock(engine, "nightly", clock=lambda: time.time() + 61)  # after the lease
    assert later.acquire()
    assert later.holder_info()["holder"] == later.holder
    later.release()
    assert later.holder_info() is None


def test_crashed_holder_on_this_host_is_taken_over_at_once(tmp_path: Path, caplog) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    ctx = mp.get_context("spawn")
    done = ctx.Event()
    p = ctx.Process(target=_crash_holding, args=(url, done))
    p.start()
    p.join(timeout=60)
    assert done.is_set()
    lock = JobLock(lock_engine(url), "nightly", ttl=300)
    with caplog.at_level(logging.WARNING, logger="c3po_sync.scheduler.lock"):
        assert lock.acquire()
    assert "is gone" in caplog.text
    lock.release()


_HOLD = """
import sys, time
from c3po_sync.scheduler.lock import JobLock, lock_engine
lock = JobLock(lock_engine(sys.argv[1]), "nightly", ttl=300)
assert lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def _holding_subprocess(url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, url], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_sigkilled_holder_is_taken_over_at_once_not_while_alive(tmp_path: Path, caplog) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    proc = _holding_subprocess(url)
    engine = lock_engine(url)
    try:
        with pytest.raises(JobLockedError, match="already running"):  # alive: not taken
            with JobLock(engine, "nightly"):
                pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert parse_holder(JobLock(engine, "nightly").holder_info()["holder"])[1] == proc.pid
    with caplog.at_level(logging.WARNING, logger="c3po_sync.scheduler.lock"):
        with JobLock(engine, "nightly", ttl=300) as lock:
            assert lock.holder_info()["holder"] == lock.holder
    assert f"process {proc.pid} on this host is gone" in caplog.text


def test_sigkilled_holder_not_yet_reaped_is_taken_over(tmp_path: Path) -> None:
    """A zombie (killed, its parent has not waited yet) still answers kill(pid, 0)."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    proc = _holding_subprocess(url)
    proc.send_signal(signal.SIGKILL)
    try:
        for _ in range(500):  # until the kernel has made it a zombie
            if pid_is_dead(proc.pid):
                break
            time.sleep(0.01)
        lock = JobLock(lock_engine(url), "nightly")
        assert lock.acquire()
        lock.release()
    finally:
        proc.wait(timeout=30)


def test_holder_ids_parse() -> None:
    assert parse_holder("host.example:4242:0a1b2c3d") == ("host.example", 4242)
    assert parse_holder("a:b:c") is None
    assert parse_holder("garbage") is None
    assert not pid_is_dead(os.getpid())


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
