"""The state store: run history, snapshots, findings history, change tokens, checkpoints, ledger."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, create_engine, delete, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool

from c3po_sync.errors import C3POError
from c3po_sync.logs import redact
from c3po_sync.model.compact import ECHOES, string_pool
from c3po_sync.model.schema import TABLES
from c3po_sync.model.tables import CanonicalTables, LazyTables
from c3po_sync.private_files import private_sqlite
from c3po_sync.state import (
    changelog,
    history,
    migrate,
    raw_tables,  # noqa: F401 (registers the raw-cache tables)
)
from c3po_sync.state import notifications as _notifications  # noqa: F401 - its tables
from c3po_sync.state import tables as t
from c3po_sync.state.changelog import chunks as _chunks
from c3po_sync.state.evaluations import EvaluationsMixin
from c3po_sync.state.history import FindingsDelta
from c3po_sync.state.hub_rows import HubRowsMixin
from c3po_sync.state.runs import OUTCOMES, RunNotFoundError, RunsMixin
from c3po_sync.state.serialize import (
    column_chunks_to_frame,
    frame_to_column_chunks,
    frame_to_rows,
    rows_to_frame,
)
from c3po_sync.state.write_log import WriteLogMixin

logger = logging.getLogger(__name__)

__all__ = ["OUTCOMES", "RunNotFoundError", "SNAPSHOT_TABLES", "StateStore", "StateStoreError"]
SNAPSHOT_TABLES = ("projects", "documents", "status_reports", "assets", "quarantine")
BUSY_TIMEOUT_S = 30


class StateStoreError(C3POError, RuntimeError):
    """The state database is unusable (e.g. written by a newer C3PO Sync)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_engine(url: str) -> Engine:
    """SQLite tuned for one writer and many readers: WAL, busy timeout, immediate writes.

    pysqlite's own transaction handling starts writes lazily, which lets two writers
    deadlock instead of waiting; we emit BEGIN ourselves, IMMEDIATE for writes.
    """
    memory = make_url(url).database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
    }
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("c3po_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class StateStore(RunsMixin, WriteLogMixin, EvaluationsMixin, HubRowsMixin):
    """Everything a run must remember: what ran, what was seen, what was found and written.

    Every write happens in one transaction, so a run killed mid-write leaves the previous
    state intact, and every write is keyed, so repeating it changes nothing.
    """

    def __init__(self, url: str = "sqlite:///c3po-state.db") -> None:
        self.url = url
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            private_sqlite(url)  # findings and tokens: owner only
            self.engine = _sqlite_engine(url)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        try:
            migrate.upgrade(self.engine, self._where())
        except migrate.NewerSchemaError as e:
            raise StateStoreError(str(e)) from None
        self._check_schema_version()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(c3po_write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def _check_schema_version(self) -> None:
        with self._read() as conn:
            found = conn.execute(select(func.max(t.schema_version.c.version))).scalar()
            if found is not None and found > t.SCHEMA_VERSION:
                raise StateStoreError(
                    f"{self._where()}: schema version "
                    f"{found} is newer than this C3PO Sync understands ({t.SCHEMA_VERSION})"
                )

    # --- snapshots ----------------------------------------------------------------------------

    def save_snapshot(
        self, run_id: int, tables: CanonicalTables, at: datetime | None = None
    ) -> None:
        """Stores the run's canonical tables, replacing any earlier save of the same run.

        ``at``: the run's "as of" instant (one clock per run); now when not given. Each table is
        stored by columns, a chunk of rows at a time (serialize.frame_to_column_chunks) inside
        the one transaction, so saving holds one chunk's JSON, not the tenant's, and a run
        killed meanwhile leaves no half snapshot.
        """
        at = at or _now()
        counts = {name: len(getattr(tables, name)) for name in SNAPSHOT_TABLES}
        versioned: dict[str, list[tuple[str, str]]] = {}
        with self._write() as conn:
            self._delete_snapshot_rows(conn, [run_id])
            conn.execute(
                t.snapshots.insert(),
                {"run_id": run_id, "saved_at": at, "counts": json.dumps(counts)},
            )
            for name in SNAPSHOT_TABLES:
                frame = getattr(tables, name)
                for chunk_no, data in enumerate(frame_to_column_chunks(TABLES[name], frame)):
                    conn.execute(
                        t.snapshot_chunks.insert(),
                        {"run_id": run_id, "table_name": name, "chunk_no": chunk_no,
                         "data": data},
                    )  # fmt: skip
                if name in changelog.VERSIONED_TABLES:  # the change log keeps rows (projects)
                    versioned[name] = frame_to_rows(TABLES[name], frame)
            changelog.fold(conn, run_id, at, versioned)
        logger.info("run %d snapshot saved: %s", run_id, counts)

    def fold_history(self, run_id: int, tables: CanonicalTables, at: datetime) -> None:
        """Folds ``tables`` into the change log as run ``run_id`` without keeping a snapshot:
        what ``save_snapshot`` then pruning leaves (the year-of-history benchmark's nights)."""
        rows = {name: frame_to_rows(TABLES[name], getattr(tables, name))
                for name in changelog.VERSIONED_TABLES}  # fmt: skip
        with self._write() as conn:
            changelog.fold(conn, run_id, at, rows)

    def load_snapshot(
        self, run_id: int, tables: Iterable[str] = SNAPSHOT_TABLES
    ) -> CanonicalTables:
        """The canonical tables saved for ``run_id``, with the schema's dtypes restored.

        Each table's chunks (or, saved before migration 0006, its rows) stream from the
        database into its columns: no list of every chunk's JSON is held while the frames are
        built.
        ``tables`` narrows the load to what a caller reads (the others come back empty): the
        council deltas read projects only, not the 50,000 documents beside them.
        """
        frames: dict[str, pd.DataFrame] = {}
        with self._read() as conn:
            self._require_snapshot(conn, run_id)
            for name in tables:
                frames[name] = _load_table(conn, run_id, name, _pools(name, frames))
        return CanonicalTables(**frames)

    def lazy_snapshot(self, run_id: int, then: Callable[[], None] | None = None) -> LazyTables:
        """``load_snapshot(run_id)``'s tables, each loaded when first read (model.LazyTables),
        then ``then()``: a new day's steps read only some of them (issue 16).

        Each table is read in a transaction of its own that first finds the snapshot still
        kept: snapshots are never changed once saved, so the tables are one run's, and one
        pruned meanwhile (by another job's run) raises RunNotFoundError, never reads as empty.
        A table whose strings echo another's (model.compact ECHOES) loads that one first, as
        ``load_snapshot`` does, so their rows share the strings.
        """
        with self._read() as conn:
            self._require_snapshot(conn, run_id)
        frames: dict[str, pd.DataFrame] = {}

        def load(name: str) -> pd.DataFrame:
            if name not in frames:
                echo = ECHOES.get(name)
                if echo is not None:
                    load(echo[0])
                with self._read() as conn:
                    self._require_snapshot(conn, run_id)
                    frames[name] = _load_table(conn, run_id, name, _pools(name, frames))
                if then is not None:
                    then()
            return frames[name]

        return LazyTables(load)

    def _require_snapshot(self, conn: Connection, run_id: int) -> None:
        """Raises RunNotFoundError unless run ``run_id``'s snapshot is kept."""
        q = select(t.snapshots.c.run_id).where(t.snapshots.c.run_id == run_id)
        if conn.execute(q).first() is None:
            raise RunNotFoundError(f"no snapshot for run {run_id} in {self._where()}")

    def latest_snapshot_run(self, before_run: int | None = None) -> int | None:
        """The newest run with a snapshot, optionally strictly before ``before_run``."""
        q = select(func.max(t.snapshots.c.run_id))
        if before_run is not None:
            q = q.where(t.snapshots.c.run_id < before_run)
        with self._read() as conn:
            return conn.execute(q).scalar()

    def prune_snapshots(self, keep: int) -> list[int]:
        """Deletes all but the newest ``keep`` snapshots (runs and findings stay); returns ids.

        Snapshots are the bulky part of the store (a 50,000-document tenant is tens of MB per
        run); each run prunes by age (``prune_snapshots_older_than``); history stays in the
        change log.
        """
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        with self._read() as conn:
            ids = [
                r
                for (r,) in conn.execute(
                    select(t.snapshots.c.run_id).order_by(t.snapshots.c.run_id.desc()).offset(keep)
                )
            ]
        self._delete_snapshots(sorted(ids))
        return sorted(ids)

    def prune_snapshots_older_than(self, cutoff: datetime, keep_newest: int) -> list[int]:
        """Deletes snapshots saved before ``cutoff`` except the newest ``keep_newest``; returns
        the run ids deleted. The change log keeps their history (state.changelog)."""
        if keep_newest < 1:
            raise ValueError(f"keep_newest must be at least 1, got {keep_newest}")
        with self._read() as conn:
            ids = [
                r
                for (r,) in conn.execute(
                    select(t.snapshots.c.run_id)
                    .order_by(t.snapshots.c.run_id.desc())
                    .offset(keep_newest)
                )
            ]
            old = set()
            for chunk in _chunks(ids):
                old |= {
                    r
                    for (r,) in conn.execute(
                        select(t.snapshots.c.run_id).where(
                            t.snapshots.c.run_id.in_(chunk), t.snapshots.c.saved_at < cutoff
                        )
                    )
                }
        self._delete_snapshots(sorted(old))
        return sorted(old)

    def prune_history_older_than(self, cutoff: datetime) -> int:
        """Forgets project versions last seen before ``cutoff`` (retention.history_days)."""
        with self._write() as conn:
            return changelog.forget_before(conn, cutoff)

    def _delete_snapshots(self, ids: list[int]) -> None:
        with self._write() as conn:
            self._delete_snapshot_rows(conn, ids)
        if ids:
            logger.info("pruned %d snapshot(s): runs %s", len(ids), _span(ids))

    @staticmethod
    def _delete_snapshot_rows(conn: Connection, ids: list[int]) -> None:
        """Deletes the snapshots of runs ``ids``, in either storage format."""
        for chunk in _chunks(ids):
            conn.execute(delete(t.snapshot_chunks).where(t.snapshot_chunks.c.run_id.in_(chunk)))
            conn.execute(delete(t.snapshot_rows).where(t.snapshot_rows.c.run_id.in_(chunk)))
            conn.execute(delete(t.snapshots).where(t.snapshots.c.run_id.in_(chunk)))

    # --- findings history ---------------------------------------------------------------------

    def record_findings(
        self,
        run_id: int,
        findings: pd.DataFrame,
        at: datetime,
        resolve_missing: bool = True,
        protect: Iterable[str] = (),
    ) -> FindingsDelta:
        """Opens, keeps, resolves and reopens findings against this run's FINDINGS frame.

        Args:
            run_id: the run; recording the same run twice returns the first delta unchanged.
            findings: the rules' output (FINDINGS columns).
            at: when the run observed them (aware datetime).
            resolve_missing: False for a partial run, so findings it could not re-check are
                not wrongly marked resolved.
            protect: finding ids whose evidence was not re-read this run; they never resolve.
        """
        with self._write() as conn:
            return history.record(conn, run_id, findings, at, resolve_missing, set(protect))

    def adopt_findings(self, records: list[dict[str, Any]]) -> list[str]:
        """Adopts the hub's findings history (state.history.adopt); returns the ids taken in."""
        with self._write() as conn:
            return history.adopt(conn, records)

    def findings(self, status: str | None = None) -> pd.DataFrame:
        """All findings ever seen (or only ``open``/``resolved``), FINDINGS plus history columns."""
        if status not in (None, "open", "resolved"):
            raise ValueError(f"status {status!r} not in (None, 'open', 'resolved')")
        with self._read() as conn:
            return history.load(conn, status)

    def has_findings(self) -> bool:
        """Whether any finding was ever recorded (without reading them all)."""
        with self._read() as conn:
            return conn.execute(select(t.findings.c.finding_id).limit(1)).first() is not None

    def finding_events(
        self,
        finding_id: str | None = None,
        after_run: int | None = None,
        upto_run: int | None = None,
    ) -> list[dict[str, Any]]:
        """Every opened/reopened/resolved transition, oldest first (the auditor's trail);
        only those recorded by runs in (``after_run``, ``upto_run``] when given."""
        e = t.finding_events
        q = select(e).order_by(e.c.at, e.c.run_id, e.c.finding_id)
        if finding_id is not None:
            q = q.where(e.c.finding_id == finding_id)
        if after_run is not None:
            q = q.where(e.c.run_id > after_run)
        if upto_run is not None:
            q = q.where(e.c.run_id <= upto_run)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    # --- change tokens and checkpoints --------------------------------------------------------

    def get_token(self, source_key: str) -> str | None:
        with self._read() as conn:
            return conn.execute(
                select(t.tokens.c.token).where(t.tokens.c.source_key == source_key)
            ).scalar()

    def set_token(self, source_key: str, token: str) -> None:
        self._put(t.tokens, t.tokens.c.source_key, source_key, {"token": token})

    def get_checkpoint(self, key: str) -> Any:
        """The JSON value stored under ``key``, decoded; None when there is none."""
        with self._read() as conn:
            text = conn.execute(
                select(t.checkpoints.c.value).where(t.checkpoints.c.key == key)
            ).scalar()
        return None if text is None else json.loads(text)

    def set_checkpoint(self, key: str, value_json: Any) -> None:
        """Stores any JSON-serialisable value (dict, list, str, number) under ``key``."""
        self._put(t.checkpoints, t.checkpoints.c.key, key, {"value": json.dumps(value_json)})

    def clear_checkpoint(self, key: str) -> None:
        with self._write() as conn:
            conn.execute(delete(t.checkpoints).where(t.checkpoints.c.key == key))

    def _put(self, table, key_col, key: str, values: dict[str, Any]) -> None:
        """Portable upsert: delete then insert inside one write transaction."""
        with self._write() as conn:
            conn.execute(delete(table).where(key_col == key))
            conn.execute(table.insert(), {key_col.name: key, **values, "updated_at": _now()})

    def _where(self) -> str:
        return redact(self.engine.url.render_as_string(hide_password=False))


def _load_table(
    conn: Connection, run_id: int, name: str, pools: dict[str, dict[str, str]] | None
) -> pd.DataFrame:
    """One stored table of run ``run_id``: from its column chunks, or, for a snapshot saved
    before migration 0006 (no chunks), from its rows. Either streams from the cursor."""
    c = t.snapshot_chunks.c
    chunks = conn.execute(
        select(c.data).where(c.run_id == run_id, c.table_name == name).order_by(c.chunk_no)
    )
    first = chunks.fetchone()
    if first is not None:
        rest = (data for (data,) in chunks)
        return column_chunks_to_frame(TABLES[name], itertools.chain([first[0]], rest), pools)
    chunks.close()
    r = t.snapshot_rows.c
    rows = conn.execute(
        select(r.data).where(r.run_id == run_id, r.table_name == name).order_by(r.row_no)
    )
    return rows_to_frame(TABLES[name], (data for (data,) in rows), pools)


def _pools(name: str, loaded: dict[str, pd.DataFrame]) -> dict[str, dict[str, str]] | None:
    """The strings table ``name`` repeats from a table loaded before it (model.compact
    ECHOES), so its rows point at them instead of holding copies: a city's status reports
    would otherwise hold their documents' names and links twice (issue 16, a new day's
    memory). Built per load and dropped with it."""
    echo = ECHOES.get(name)
    if echo is None or echo[0] not in loaded or loaded[echo[0]].empty:
        return None
    source = loaded[echo[0]]
    return {col: string_pool(source[src]) for col, src in echo[1].items()}


def _span(ids: list[int]) -> str:
    return str(ids[0]) if len(ids) == 1 else f"{ids[0]}..{ids[-1]}"
