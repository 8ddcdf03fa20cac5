"""Lost answers to "create list", "create column" and "recycle" end like a clean run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from c3po_sync.sandbox.faults import PASS, TRUNCATE, FaultConfig
from c3po_sync.sandbox.generate import HUB_URL
from c3po_sync.sinks.hub_lists import HUB_LISTS

from .helpers import Env, duplicate_keys, end_state

pytestmark = pytest.mark.faults

# The three provisioning and healing calls; nothing else is touched, so the state must match.
ROUTES = frozenset({"lists", "field_xml", "item_recycle"})
SEED = 5


@dataclass
class _CountingFaults(FaultConfig):
    """``FaultConfig`` that loses the answer of the first call on each route (applied, then
    cut off), then draws as configured, up to ``limit`` faults per route (every fault costs a
    backoff wait; a few per kind of call prove the point)."""

    hits: Counter[str] = field(default_factory=Counter)
    limit: int = 2

    def decide(self, route: str, *, inner: bool = False, path: str = "") -> str:
        if self.hits[route] >= self.limit:
            return PASS
        outcome = super().decide(route, inner=inner, path=path)
        if self.applies_to(route, path) and not inner and not self.hits[route]:
            outcome = TRUNCATE
        if outcome != PASS:
            self.hits[route] += 1
        return outcome


def _copy_first_rows(env: Env) -> int:
    """Leaves a service-authored copy of one row per hub list, as a killed run would."""
    site = env.tenant.site_for_path(HUB_URL + "/_api/web")[0]
    copies = 0
    for spec in HUB_LISTS:
        lst = site.list_by_title(spec.title)
        first = min(i for i, item in lst.items.items() if item.fs_obj_type == 0)
        wire = {c.wire_name for c in spec.owned_columns}
        values: dict[str, Any] = {
            k: v for k, v in lst.items[first].values.items() if k in wire and v is not None
        }
        lst.add_item(values)
        copies += 1
    return copies


def _two_runs_with_copies(env: Env) -> dict[str, Any]:
    assert env.run().outcome == "ok"
    assert _copy_first_rows(env) == len(HUB_LISTS)
    assert env.run().outcome == "ok"
    return end_state(env)


def test_lost_provisioning_answers_end_like_a_clean_run(make_env) -> None:
    clean = _two_runs_with_copies(make_env("clean"))

    faults = _CountingFaults(routes=ROUTES, p_drop=0.15, p_truncate=0.35, seed=SEED)
    env = make_env("lossy", faults=faults)
    lossy = _two_runs_with_copies(env)

    assert set(faults.hits) == ROUTES, faults.hits  # each kind of call lost at least once
    assert duplicate_keys(env.tenant) == {}
    assert lossy == clean
    site = env.tenant.site_for_path(HUB_URL + "/_api/web")[0]
    for spec in HUB_LISTS:
        names = [f.internal_name for f in site.list_by_title(spec.title).fields]
        assert sorted(names) == sorted(set(names))
        for column in spec.columns:
            assert column.internal_name in names
            assert column.internal_name + "1" not in names
