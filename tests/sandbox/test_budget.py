"""Opt-in throttling by resource units (`c3po_sync/sandbox/budget.py`), with a fake clock."""

from __future__ import annotations

import requests

from c3po_sync.sandbox.budget import ResourceBudget, request_cost
from c3po_sync.sandbox.server import SandboxServer

from .conftest import small_tenant
from .test_strict_values import _post_part


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _get(server: SandboxServer, path: str, token: str = "app-a") -> requests.Response:
    return requests.get(
        server.url + "/sites/x/_api/" + path,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json;odata=verbose"},
        timeout=10,
    )


def test_costs_follow_microsofts_table():
    assert request_cost("GET", "item") == 1
    assert request_cost("GET", "items") == 2
    assert request_cost("POST", "items") == 2
    assert request_cost("MERGE", "item") == 2
    assert request_cost("POST", "get_items") == 2
    assert request_cost("POST", "batch") == 0


def test_spent_budget_answers_429_with_retry_after_until_the_minute_is_over():
    clock = FakeClock()
    with SandboxServer(small_tenant(), budget=ResourceBudget(5, clock=clock)) as server:
        assert _get(server, "web/lists/getbytitle('Tasks')/items").status_code == 200  # 2
        assert _get(server, "web/lists/getbytitle('Tasks')/items").status_code == 200  # 4
        assert _get(server, "web").status_code == 200  # 5
        clock.now += 20
        spent = _get(server, "web")
        assert spent.status_code == 429
        assert spent.headers["Retry-After"] == "40"
        assert spent.headers["RateLimit-Limit"] == "5"
        assert "SPRequestThrottledException" in spent.json()["error"]["code"]
        assert _get(server, "web", token="app-b").status_code == 200  # budgets are per app
        clock.now += 40
        assert _get(server, "web").status_code == 200
        assert server.stats.faults["budget"] == 1


def _batch(server: SandboxServer, titles: list[str]) -> requests.Response:
    type_name = server.tenant.sites["/sites/x"].list_by_title("Tasks")
    parts = "".join(
        _post_part(server.url + "/sites/x", type_name.list_item_entity_type_full_name, t)
        for t in titles
    )
    body = f"--b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n{parts}--cs--\r\n--b--\r\n"
    return requests.post(
        server.url + "/sites/x/_api/$batch",
        data=body.encode(),
        headers={"Authorization": "Bearer app-a", "Content-Type": "multipart/mixed; boundary=b"},
        timeout=10,
    )


def test_batch_operations_are_counted_one_by_one():
    clock = FakeClock()
    with SandboxServer(small_tenant(), budget=ResourceBudget(7, clock=clock)) as server:
        resp = _batch(server, ["a", "b", "c", "d"])  # 2 RU each: three fit, the fourth does not
        assert resp.status_code == 200
        assert resp.text.count("HTTP/1.1 201") == 3 and resp.text.count("HTTP/1.1 429") == 1
        assert server.budget.remaining("Bearer app-a") == 1
        assert _get(server, "web").status_code == 200  # the last unit
        assert _get(server, "web").status_code == 429


def test_off_by_default(sandbox):
    for _ in range(50):
        assert _get(sandbox, "web").status_code == 200
    assert sandbox.budget is None


def test_change_log_read_with_a_token_costs_one_unit_like_a_graph_delta():
    assert request_cost("POST", "web_changes") == 1
    assert request_cost("POST", "list_changes") == 1


def test_rate_limit_headers_appear_once_eighty_percent_of_the_minute_is_used():
    clock = FakeClock()
    with SandboxServer(small_tenant(), budget=ResourceBudget(10, clock=clock)) as server:
        for _ in range(7):
            assert "RateLimit-Remaining" not in _get(server, "web").headers
        used_80 = _get(server, "web")  # the 8th unit: 80% used
        assert used_80.status_code == 200
        assert used_80.headers["RateLimit-Limit"] == "10"
        assert used_80.headers["RateLimit-Remaining"] == "2"
        assert used_80.headers["RateLimit-Reset"] == "60"
        assert server.budget.spent == 8
