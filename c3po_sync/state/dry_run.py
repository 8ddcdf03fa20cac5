"""A dry run's state store: a private, throw-away copy of the real one.

``--dry-run`` must write nothing anywhere (issue 11): no run row, no snapshot, no change
token, no findings history, no write log. The pipeline still needs a store to read the last
snapshot and history from and to hold this run's intermediate state, so a dry run works on a
copy in a private temporary directory (0700) that is deleted when the run ends; the real
database is only read. SQLite is copied with its online backup API (a consistent copy even
while a scheduled run writes); any other backend row by row.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import make_url

from c3po_sync.logs import redact
from c3po_sync.state import tables as t
from c3po_sync.state.store import StateStore

log = logging.getLogger(__name__)


@contextmanager
def dry_run_store(url: str) -> Iterator[StateStore]:
    """A StateStore holding a copy of ``url``'s data; the copy is deleted on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="c3po-dry-run-"))  # mkdtemp: mode 0700
    copy = tmp / "state.db"
    try:
        _copy_into(url, copy)
        store = StateStore(f"sqlite:///{copy}")
        try:
            yield store
        finally:
            store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _copy_into(url: str, copy: Path) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or not Path(database).exists():
            return  # nothing stored yet: the dry run starts from an empty store
        src = sqlite3.connect(f"file:{Path(database).resolve()}?mode=ro", uri=True)
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    engine = create_engine(url, pool_pre_ping=True)
    target = create_engine(f"sqlite:///{copy}")
    try:
        present = set(inspect(engine).get_table_names())
        t.metadata.create_all(target)
        with engine.connect() as source, target.begin() as copied:
            for table in t.metadata.sorted_tables:
                if table.name not in present:
                    continue
                rows = [dict(r._mapping) for r in source.execute(select(table))]
                if rows:
                    copied.execute(table.insert(), rows)
    finally:
        engine.dispose()
        target.dispose()
    log.info("dry run: working on a copy of %s", redact(str(url)))
