"""Stored evaluations by columns (migration 0007), and those stored per entity before it.

Issue 16 (a new day under 1 CPU s): loading a city's stored evaluation decoded one small JSON
array per entity, about 100,000, and the cyclic garbage collector, counting those allocations,
ran full collections over the run's heap (most of the load's CPU). A rule's entities are now
four arrays; rows stored before still load the same, and the upgrade rewrites them.
"""

from __future__ import annotations

import json
import sqlite3
from types import SimpleNamespace

import pandas as pd
from alembic import command
from sqlalchemy import select

from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.evaluation import evaluation_table
from c3po_sync.state import evaluations, migrate
from c3po_sync.state.evaluations import rule_evaluations
from c3po_sync.state.store import StateStore
from tests.rules import TODAY, project, tenant


def _evaluation() -> pd.DataFrame:
    t = tenant([project(f"P{i}", product_owner=None if i % 3 else "po@x") for i in range(60)])
    config = RulesConfig()
    return evaluation_table(t, config, TODAY, evaluate(t, config, TODAY))


def _by_entity(store: StateStore, run_id: int) -> None:
    """Rewrites run ``run_id``'s rows as a release before 0007 stored them."""
    with store._write() as conn:
        e = rule_evaluations.c
        for rule_id, text in conn.execute(
            select(e.rule_id, e.entities).where(e.run_id == run_id)
        ).all():
            cols = json.loads(text)
            rows = [
                list(v) for v in zip(*(cols[f] for f in evaluations._ENTITY_FIELDS), strict=True)
            ]
            conn.execute(
                rule_evaluations.update()
                .where(e.run_id == run_id, e.rule_id == rule_id)
                .values(entities=json.dumps(rows))
            )


def _stored(db) -> list[object]:
    with sqlite3.connect(db) as conn:
        return [json.loads(t) for (t,) in conn.execute("SELECT entities FROM rule_evaluations")]


def test_an_evaluation_loads_without_an_object_per_entity(tmp_path, monkeypatch) -> None:
    """The decoded JSON of a stored evaluation holds a few lists per rule, not one per
    entity: the allocations that set off the garbage collector's full collections."""
    ev = _evaluation()
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_evaluation(1, ev)
        lists = []

        def loads(text: str):
            value = json.loads(text)
            inner = value.values() if isinstance(value, dict) else value
            lists.append(1 + sum(isinstance(v, list) for v in inner))
            return value

        monkeypatch.setattr(evaluations, "json", SimpleNamespace(loads=loads, dumps=json.dumps))
        back = store.load_evaluation(1)
    rules = ev["rule_id"].nunique()
    assert len(ev) > 10 * rules  # many entities per rule
    assert sum(lists) <= 5 * len(lists) and len(lists) >= rules, (sum(lists), len(ev))
    pd.testing.assert_frame_equal(back, ev.sort_values("rule_id", kind="stable", ignore_index=True))


def test_rows_stored_per_entity_load_the_same_and_the_upgrade_rewrites_them(tmp_path) -> None:
    ev = _evaluation()
    db = tmp_path / "state.db"
    with StateStore(f"sqlite:///{db}") as store:
        store.save_evaluation(1, ev)
        store.save_evaluation(2, ev)
        _by_entity(store, 1)
        assert store.load_evaluation(1).equals(store.load_evaluation(2))  # either form reads
        _by_entity(store, 2)
        with store.engine.connect() as conn, conn.begin():  # as a 0006 database was
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0006'")
    assert all(isinstance(v, list) for v in _stored(db))
    with StateStore(f"sqlite:///{db}") as store:  # opened: upgraded to 0007
        assert all(isinstance(v, dict) for v in _stored(db))
        back = store.load_evaluation(1)
        pd.testing.assert_frame_equal(back, store.load_evaluation(2))
        # A new day carries the stored rows inside the database: they stay by columns.
        store.save_evaluation(3, ev.iloc[:0], carry_from=2)
        pd.testing.assert_frame_equal(store.load_evaluation(3), back)
    pd.testing.assert_frame_equal(back, ev.sort_values("rule_id", kind="stable", ignore_index=True))


def test_the_downgrade_writes_rows_an_older_release_reads(tmp_path) -> None:
    ev = _evaluation()
    db = tmp_path / "state.db"
    with StateStore(f"sqlite:///{db}") as store:
        store.save_evaluation(1, ev)
        with store.engine.connect().execution_options(c3po_write=True) as conn, conn.begin():
            cfg = migrate._config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
    stored = _stored(db)
    assert stored and all(isinstance(v, list) for v in stored)
    assert sum(len(v) for v in stored) == len(ev)
    assert all(len(e) == 4 for v in stored for e in v)
