"""Snapshots stored by columns (migration 0006), and those stored by rows before it.

Issue 16 (a new day under 1 CPU s): loading the stored snapshot decoded one JSON object per
row, about 83,000 at city size and a quarter of the day's CPU. A snapshot is now stored as
chunks of column arrays, decoded once per chunk; one stored by rows still loads the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pandas as pd
from sqlalchemy import func, select

from c3po_sync.model.schema import TABLES
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.state import serialize
from c3po_sync.state import tables as t
from c3po_sync.state.serialize import frame_to_rows
from c3po_sync.state.store import StateStore
from tests.state.test_snapshot_stream import _documents, _projects, _reports_of

AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
N = 1200


def _tables() -> CanonicalTables:
    documents = _documents(N)
    return CanonicalTables(
        projects=_projects(300), documents=documents, status_reports=_reports_of(documents)
    )


def _save_by_rows(store: StateStore, run_id: int, tables: CanonicalTables) -> None:
    """What a release before 0006 stored: the snapshot's row, and one JSON object per row."""
    with store._write() as conn:
        conn.execute(t.snapshots.insert(), {"run_id": run_id, "saved_at": AT, "counts": "{}"})
        for name in ("projects", "documents", "status_reports"):
            rows = frame_to_rows(TABLES[name], getattr(tables, name))
            conn.execute(
                t.snapshot_rows.insert(),
                [
                    {"run_id": run_id, "table_name": name, "row_no": i, "row_key": key,
                     "data": data}
                    for i, (key, data) in enumerate(rows)
                ],
            )  # fmt: skip


def _assert_same(loaded: CanonicalTables, saved: CanonicalTables) -> None:
    for name in ("projects", "documents", "status_reports", "assets", "quarantine"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(saved, name), obj=name)


def test_a_snapshot_loads_in_one_decode_per_chunk_not_per_row(tmp_path, monkeypatch) -> None:
    tables = _tables()
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_snapshot(1, tables, at=AT)
        decodes = []

        def loads(text: str):
            decodes.append(len(text))
            return json.loads(text)

        monkeypatch.setattr(serialize, "json", SimpleNamespace(loads=loads))
        loaded = store.load_snapshot(1)
    _assert_same(loaded, tables)
    rows = len(tables.projects) + len(tables.documents) + len(tables.status_reports)
    assert len(decodes) <= rows / 100, (len(decodes), rows)


def test_snapshots_stored_by_rows_before_0006_load_the_same_and_prune(tmp_path) -> None:
    """A store upgraded from 0005 keeps its row snapshots: they load as a column snapshot of
    the same tables does, beside new ones, and pruning removes either kind."""
    tables = _tables()
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        old, new = 1, 2
        store.save_snapshot(new, tables, at=AT)
        _save_by_rows(store, old, tables)
        _assert_same(store.load_snapshot(old), tables)
        _assert_same(store.load_snapshot(new), tables)
        alone = store.load_snapshot(old, tables=("status_reports",))
        pd.testing.assert_frame_equal(alone.status_reports, tables.status_reports)
        assert store.prune_snapshots(keep=1) == [1]
        _assert_same(store.load_snapshot(2), tables)
        with store._read() as conn:
            for table in (t.snapshot_rows, t.snapshot_chunks):
                left = conn.execute(
                    select(func.count()).select_from(table).where(table.c.run_id == 1)
                ).scalar()
                assert left == 0, table.name


def test_a_column_missing_from_a_stored_chunk_loads_as_missing(tmp_path) -> None:
    """A column added to the schema after a snapshot was stored reads as missing in each of
    its rows, as a key absent from a stored row object does."""
    projects = _projects(40)
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_snapshot(1, CanonicalTables(projects=projects), at=AT)
        with store._write() as conn:
            (data,) = conn.execute(select(t.snapshot_chunks.c.data)).one()
            stored = json.loads(data)
            del stored["budget"]
            conn.execute(t.snapshot_chunks.update().values(data=json.dumps(stored)))
        loaded = store.load_snapshot(1).projects
    assert loaded["budget"].isna().all()
    pd.testing.assert_frame_equal(loaded.drop(columns="budget"), projects.drop(columns="budget"))


def test_a_snapshot_loads_with_no_python_call_per_value(tmp_path, monkeypatch) -> None:
    """Issue 16: the status reports' text echoed from the documents was looked up in their
    pool by a Python method per value, and the stored datetimes went through pandas' parser;
    both now run at C speed: the load makes a bounded number of Python calls, and none to
    ``pd.to_datetime`` for text stored as the store writes it."""
    import sys

    tables = _tables()
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_snapshot(1, tables, at=AT)
        store.load_snapshot(1)  # imports and caches warmed
        parsed = []
        real = pd.to_datetime

        def to_datetime(*args, **kwargs):
            parsed.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(pd, "to_datetime", to_datetime)
        calls = [0]

        def count(frame, event, arg):  # type: ignore[no-untyped-def]
            if event == "call" and "c3po_sync" in frame.f_code.co_filename:
                calls[0] += 1  # this product's own Python calls (pandas' are per column)

        sys.setprofile(count)
        try:
            loaded = store.load_snapshot(1)
        finally:
            sys.setprofile(None)
    _assert_same(loaded, tables)
    rows = len(tables.documents) + len(tables.status_reports)
    assert parsed == []
    assert calls[0] < rows / 4, (calls[0], rows)  # per column and chunk, not per value


def test_text_and_int_columns_are_built_directly_and_as_astype_builds_them(monkeypatch) -> None:
    """Issue 16: a load's text and int columns were typed by ``astype``, value by value; plain
    text/None and int/None columns are now built as pandas' arrays directly. The frame is the
    one ``astype`` builds, and any other value (a number in a text column, a bool, float or
    int past int64 in an int column) still takes ``astype``."""
    from c3po_sync.model import schema

    table = schema.Table(
        "t", (schema.Column("s", "str", ""), schema.Column("n", "int", "")), ("s",)
    )
    cases = [
        (["a", None, "b"], [1, None, 2**40]),
        ([None, None, None], [None, None, None]),
        (["a", 5, None], [True, None, 3]),
        (["x", "y", "z"], [1.0, 2, None]),
        (["x", "y", "z"], [2**70, 1, None]),
    ]
    slow: list[str] = []
    real = schema.typed_column

    def counted(column, values):  # type: ignore[no-untyped-def]
        slow.append(column.name)
        return real(column, values)

    monkeypatch.setattr(schema, "typed_column", counted)
    for text, ints in cases:
        slow.clear()
        frame = pd.DataFrame({"s": pd.Series(text, dtype=object),
                              "n": pd.Series(ints, dtype=object)})  # fmt: skip
        try:
            want = table.typed(frame.copy())
        except (TypeError, ValueError, OverflowError) as e:
            want = e
        slow.clear()
        try:
            got = table.frame_of_columns({"s": list(text), "n": list(ints)})
        except (TypeError, ValueError, OverflowError) as e:
            assert type(e) is type(want), (text, ints, e)
            continue
        assert isinstance(want, pd.DataFrame), (text, ints, want)
        pd.testing.assert_frame_equal(got, want)
        plain = (
            all(v is None or type(v) is str for v in text),
            all(v is None or type(v) is int for v in ints),
        )
        if all(plain) and 2**70 not in ints:
            assert slow == [], (text, ints, slow)  # no astype for plain columns
