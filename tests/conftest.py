"""Suite-wide collection order: the long tests first.

With test workers (``make test``: ``-n 8 --dist worksteal``), a long test collected last runs
alone at the end while the other workers idle; the fault, slow and benchmark-harness tests
(tens of seconds each, the kill-anywhere chains longest) are therefore started first. Order
only: every test still runs, and a single-process run is unaffected but for the order.
"""

from __future__ import annotations

import pytest

_LONGEST = "test_kill_anywhere.py"  # chains of SIGKILLed child runs: the longest tests


def _rank(item: pytest.Item) -> int:
    if _LONGEST in item.nodeid:
        return 0
    if any(item.get_closest_marker(m) for m in ("faults", "slow", "bench")):
        return 1
    return 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: each group keeps its collection order
