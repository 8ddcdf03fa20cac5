"""The office365 3.3.0 client against the sandbox: change logs, users, `$batch`, auth and faults."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from office365.sharepoint.changes.query import ChangeQuery
from office365.sharepoint.changes.token import ChangeToken

from c3po_sync.sandbox.faults import FaultConfig

from .conftest import client_for


def _token(obj) -> str:
    obj.select(["CurrentChangeToken"]).get().execute_query()
    return obj.properties["CurrentChangeToken"].StringValue


def test_list_and_site_changes_after_edits(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    start = _token(lst)
    site_start = _token(ctx.site)
    new = lst.add_item({"Title": "n"}).execute_query()
    lst.get_item_by_id(2).set_property("Title", "edited").update().execute_query()
    lst.get_item_by_id(3).delete_object().execute_query()
    query = ChangeQuery(Item=True, Add=True, Update=True, DeleteObject=True,
                        ChangeTokenStart=ChangeToken(start))  # fmt: skip
    changes = lst.get_changes(query).execute_query()
    seen = [(c.properties["ChangeType"], c.properties["ItemId"]) for c in changes]
    assert [(t.value, i) for t, i in seen] == [(1, new.id), (2, 2), (3, 3)]
    assert type(changes[0]).__name__ == "ChangeItem"
    last = changes[-1].properties["ChangeToken"].StringValue
    assert last.startswith(f"1;3;{lst.properties['Id']};")
    again = lst.get_changes(
        ChangeQuery(Item=True, ChangeTokenStart=ChangeToken(last))
    ).execute_query()
    assert len(again) == 0
    site_changes = ctx.site.get_changes(
        ChangeQuery(Item=True, ChangeTokenStart=ChangeToken(site_start), FetchLimit=2)
    ).execute_query()
    assert len(site_changes) == 2
    assert site_changes[0].properties["ChangeToken"].StringValue.startswith("1;1;")


def test_ensure_user_and_site_users(sandbox):
    ctx = client_for(sandbox)
    user = ctx.web.ensure_user("i:0#.f|membership|grace@example.org").execute_query()
    assert user.properties["Email"] == "grace@example.org" and user.id == 11
    users = ctx.web.site_users.get().execute_query()
    assert {"ada@example.org", "alan@example.org"} <= {u.properties["Email"] for u in users}
    info = ctx.web.site_user_info_list.items.select(["Id", "Title", "EMail", "Name"]).get()
    rows = info.execute_query()
    assert {r.properties["EMail"] for r in rows} >= {"ada@example.org", "grace@example.org"}
    assert sandbox.stats.count("GET", "user_info_items") == 1


def test_site_users_honour_select(sandbox):
    """SPO returns only the `$select`ed properties of an entity set (Microsoft's "Use OData query
    operations in SharePoint REST requests"); the product reads `SiteUsers?$select=Id,Email`."""
    ctx = client_for(sandbox)
    users = ctx.web.site_users.select(["Id", "Email"]).get().execute_query()
    assert users and all(set(u.properties) == {"Id", "Email"} for u in users)
    one = ctx.web.site_users.get_by_id(users[0].id).select(["Title"]).get().execute_query()
    assert set(one.properties) == {"Title"}
    assert "LoginName" in ctx.web.site_users.get().execute_query()[0].properties


def test_batch_of_100_writes(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Customers")
    lst.queue_records([{"Title": f"c{i}"} for i in range(100)])
    ctx.execute_batch()
    # one batch resolves the entity type name (GET list), the next carries all 100 writes
    assert sandbox.stats.count("POST", "batch") == 2
    assert sandbox.stats.count("GET", "list", in_batch=True) == 1
    assert sandbox.stats.count("POST", "items", in_batch=True) == 100
    model = sandbox.tenant.site_for_path("/sites/x")[0].list_by_title("Customers")
    assert sorted(it.values["Title"] for it in model.items.values())[-1] == "c99"
    assert len(model.items) == 102


def test_batch_mixed_reads_and_writes_in_order(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    lst.get_item_by_id(1).set_property("Title", "batched").update()
    web = ctx.web.get()
    item = lst.get_item_by_id(1).get()
    ctx.execute_batch()
    assert web.title == "X Site"
    assert item.properties["Title"] == "batched"


def test_batch_over_100_operations_is_400(sandbox):
    boundary = "batch_x"
    part = (
        f"--{boundary}\r\nContent-Type: application/http\r\n"
        "Content-Transfer-Encoding: binary\r\n\r\n"
        f"GET {sandbox.url}/sites/x/_api/Web HTTP/1.1\r\n"
        "Accept: application/json;odata=verbose\r\n\r\n"
    )
    body = part * 101 + f"--{boundary}--\r\n"
    resp = requests.post(
        sandbox.url + "/sites/x/_api/$batch",
        data=body.encode(),
        headers={
            "Authorization": "Bearer t",
            "Content-Type": f"multipart/mixed; boundary={boundary}",
        },
        timeout=10,
    )
    assert resp.status_code == 400
    assert "maximum number of 100" in resp.json()["error"]["message"]["value"]


def test_401_without_bearer_token(sandbox):
    resp = requests.get(sandbox.url + "/sites/x/_api/Web", timeout=10)
    assert resp.status_code == 401
    assert resp.json()["error"]["message"]["value"] == "Unsupported app only token."
    challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="')
    assert 'client_id="00000003-0000-0ff1-ce00-000000000000"' in challenge


def test_unknown_route_is_404(sandbox):
    resp = requests.get(
        sandbox.url + "/sites/x/_api/Web/NoSuchThing",
        headers={"Authorization": "Bearer t"},
        timeout=10,
    )
    assert resp.status_code == 404
    assert resp.json()["error"]["code"].endswith("ResourceNotFoundException")


def test_429_inside_a_batch_is_retried_after_retry_after(sandbox):
    sandbox.faults = FaultConfig(throttle_first=1, retry_after_s=1, in_batch=True, routes={"items"})
    ctx = client_for(sandbox)
    ctx.web.lists.get_by_title("Customers").queue_records([{"Title": f"r{i}"} for i in range(3)])
    ctx.execute_batch()
    assert sandbox.stats.faults["429"] == 1
    # type-name batch, the 3 writes, then the throttled write again, alone
    assert sandbox.stats.count("POST", "batch") == 3
    assert sandbox.stats.count("POST", "items", in_batch=True) == 4
    assert len(sandbox.tenant.site_for_path("/sites/x")[0].list_by_title("Customers").items) == 5


def test_429_top_level_with_ratelimit_headers(sandbox):
    sandbox.faults = FaultConfig(p429=1.0, retry_after_s=7, ratelimit_headers=True, routes={"web"})
    resp = requests.get(
        sandbox.url + "/sites/x/_api/Web", headers={"Authorization": "Bearer t"}, timeout=10
    )
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "7"
    assert resp.headers["RateLimit-Remaining"] == "0"
    ok = requests.post(
        sandbox.url + "/sites/x/_api/contextinfo", headers={"Authorization": "Bearer t"}, timeout=10
    )
    assert ok.status_code == 200
    assert sandbox.stats.faults["429"] == 1


def test_dropped_and_truncated_responses(sandbox):
    url, auth = sandbox.url + "/sites/x/_api/Web", {"Authorization": "Bearer t"}
    sandbox.faults = FaultConfig(p_drop=1.0, routes={"web"})
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=auth, timeout=10)
    sandbox.faults = FaultConfig(p_truncate=1.0, routes={"web"})
    with pytest.raises(requests.RequestException):
        requests.get(url, headers=auth, timeout=10)
    sandbox.faults = FaultConfig()
    assert requests.get(url, headers=auth, timeout=10).status_code == 200
    assert sandbox.stats.faults["drop"] == 1 and sandbox.stats.faults["truncate"] == 1


def test_concurrent_clients(sandbox):
    def work(n: int) -> list[int]:
        lst = client_for(sandbox).web.lists.get_by_title("Customers")
        return [lst.add_item({"Title": f"t{n}-{i}"}).execute_query().id for i in range(5)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = [i for batch in pool.map(work, range(8)) for i in batch]
    assert len(set(ids)) == 40
    assert len(sandbox.tenant.site_for_path("/sites/x")[0].list_by_title("Customers").items) == 42
