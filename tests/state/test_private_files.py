"""The state database, logs and token cache are readable by their owner only (issue 11)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from c3po_sync.logs import configure_logging
from c3po_sync.m365.auth import FileTokenCache
from c3po_sync.state.store import StateStore


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_state_database_log_and_token_cache_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "new" / "state" / "c3po.db"
    with StateStore(f"sqlite:///{db}") as store:
        store.set_checkpoint("k", 1)
    assert _mode(db) == 0o600
    assert _mode(db.parent) == _mode(db.parent.parent) == 0o700
    for extra in db.parent.glob("c3po.db-*"):  # WAL and shared memory follow the database
        assert _mode(extra) & 0o077 == 0, extra

    log = tmp_path / "logs" / "c3po.log"
    try:
        configure_logging(logging.WARNING, file=log)
        logging.getLogger("c3po_sync.test").warning("a line")
    finally:
        configure_logging(logging.WARNING)
    assert _mode(log) == 0o600 and _mode(log.parent) == 0o700

    cache = FileTokenCache(tmp_path / "tokens" / "msal.json")
    cache.cache.has_state_changed = True
    cache.save()
    assert _mode(cache.path) == 0o600 and _mode(cache.path.parent) == 0o700


def test_job_lock_and_job_store_open_a_state_database_in_a_missing_folder(tmp_path: Path) -> None:
    """`run` takes its job lock before the state store exists: on a fresh install `var/` is
    missing, and SQLite creates no folder ("unable to open database file", issue 13)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from c3po_sync.config.settings import Settings
    from c3po_sync.scheduler.lock import JobLock, lock_engine
    from c3po_sync.scheduler.service import build_scheduler

    db = tmp_path / "var" / "state.db"
    engine = lock_engine(f"sqlite:///{db}")
    try:
        with JobLock(engine, "nightly", ttl=60):
            pass
    finally:
        engine.dispose()
    assert _mode(db) == 0o600 and _mode(db.parent) == 0o700

    store_db = tmp_path / "jobs-store" / "jobs.db"
    settings = Settings.model_validate(
        {
            "tenant": {"base_url": "http://127.0.0.1:1"},
            "state_url": f"sqlite:///{store_db}",
        }
    )
    build_scheduler(settings, tmp_path / "c.yaml", {}, scheduler_cls=BackgroundScheduler)
    assert _mode(store_db) == 0o600
