"""Run history, change tokens, checkpoints, the sinks' write ledger and SQLite concurrency."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from c3po_sync.sinks.ledger import StoredRow
from c3po_sync.state import RunNotFoundError, StateStore, StateStoreError


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture
def store(db_url):
    with StateStore(db_url) as s:
        yield s


def test_runs_are_recorded_newest_first(store):
    r1 = store.start_run("sync", "cron")
    r2 = store.start_run("rollup", "manual")
    store.finish_run(r1, "partial", {"projects": 12, "quarantined": 1}, error="site down")
    runs = store.runs()
    assert [r["run_id"] for r in runs] == [r2, r1]
    assert runs[0]["outcome"] == "running" and runs[0]["finished_at"] is None
    assert runs[1]["outcome"] == "partial" and runs[1]["counts"] == {
        "projects": 12,
        "quarantined": 1,
    }
    assert runs[1]["error"] == "site down" and runs[1]["finished_at"] >= runs[1]["started_at"]
    assert runs[1]["started_at"].tzinfo is not None
    assert store.runs(limit=1)[0]["run_id"] == r2
    assert store.get_run(r1)["job"] == "sync"


def test_finish_run_validates(store):
    with pytest.raises(RunNotFoundError, match="no run with id 999"):
        store.finish_run(999, "ok", {})
    run_id = store.start_run("sync", "cron")
    with pytest.raises(ValueError, match="'done'"):
        store.finish_run(run_id, "done", {})


def test_runs_survive_reopening_the_database(db_url):
    with StateStore(db_url) as s:
        run_id = s.start_run("sync", "cron")
        s.set_token("ppm-community/Projects", "1;3;abc;637;-1")
    with StateStore(db_url) as s:
        assert s.runs()[0]["run_id"] == run_id
        assert s.get_token("ppm-community/Projects") == "1;3;abc;637;-1"
        assert s.start_run("sync", "cron") == run_id + 1


def test_tokens_and_checkpoints(store):
    assert store.get_token("src") is None
    store.set_token("src", "t1")
    store.set_token("src", "t2")
    assert store.get_token("src") == "t2"

    assert store.get_checkpoint("page") is None
    store.set_checkpoint("page", {"next": "https://x/_api/web?$skiptoken=Paged%3dTRUE", "n": 3})
    store.set_checkpoint("other", ["a", 1, None])
    store.set_checkpoint("page", {"next": None, "n": 4})
    assert store.get_checkpoint("page") == {"next": None, "n": 4}
    assert store.get_checkpoint("other") == ["a", 1, None]
    store.clear_checkpoint("page")
    store.clear_checkpoint("never-set")
    assert store.get_checkpoint("page") is None and store.get_checkpoint("other") is not None


def test_sqlite_uses_wal(store):
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_in_memory_url_works():
    with StateStore("sqlite://") as s:
        run_id = s.start_run("sync", "test")
        assert s.runs()[0]["run_id"] == run_id


def test_newer_schema_is_refused(db_url):
    with StateStore(db_url) as s, s.engine.begin() as conn:
        conn.execute(text("INSERT INTO schema_version VALUES (99, '2030-01-01 00:00:00')"))
    with pytest.raises(StateStoreError, match="schema version 99"):
        StateStore(db_url)


def test_concurrent_writers_on_one_file_all_succeed(db_url):
    StateStore(db_url).close()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with StateStore(db_url) as s:
                for i in range(10):
                    run_id = s.start_run(f"job{n}", "thread")
                    s.set_checkpoint(f"job{n}", {"i": i})
                    s.save_hub_rows("L", {f"{n}-{i}": StoredRow(i, None, {}, "h")})
                    s.finish_run(run_id, "ok", {"i": i})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with StateStore(db_url) as s:
        runs = s.runs(limit=100)
        assert len(runs) == 40 and all(r["outcome"] == "ok" for r in runs)
        assert len(s.hub_rows("L")) == 40


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_run_whose_process_is_gone_is_marked_died_not_left_running(store):
    import json
    import socket

    from sqlalchemy import update

    from c3po_sync.state import tables as t

    killed, live, elsewhere = (store.start_run("nightly", "cron") for _ in range(3))
    holders = {
        killed: f"{socket.gethostname()}:{_dead_pid()}:run",  # SIGKILLed on this host
        elsewhere: "another-host:1:run",  # cannot be probed: never called dead
    }
    with store.engine.begin() as conn:
        for run_id, holder in holders.items():
            conn.execute(
                update(t.runs)
                .where(t.runs.c.run_id == run_id)
                .values(counts=json.dumps({"_process": holder}))
            )
    assert store.mark_dead_runs() == [killed]
    assert store.get_run(killed)["outcome"] == "died"
    assert store.get_run(killed)["finished_at"] is not None
    assert "killed or power loss" in store.get_run(killed)["error"]
    assert store.get_run(live)["outcome"] == "running"  # this very process: alive
    assert store.get_run(elsewhere)["outcome"] == "running"
    assert store.mark_dead_runs() == []  # idempotent
