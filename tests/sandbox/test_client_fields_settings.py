"""Field MERGE (all four addressing forms) and Web/RegionalSettings through the real client."""

from __future__ import annotations

import json
import urllib.request

import pytest
from office365.runtime.client_request_exception import ClientRequestException

from c3po_sync.sandbox.responses_regional import windows_zone

from .conftest import client_for

VERBOSE = "application/json;odata=verbose"


def _raw(sandbox, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    """A bare HTTP call, for the request shapes the client never builds itself."""
    headers = {"Authorization": "Bearer t", "Accept": VERBOSE, "Content-Type": VERBOSE}
    if method not in ("GET", "POST"):
        headers["X-HTTP-Method"] = method
        headers["IF-MATCH"] = "*"
    req = urllib.request.Request(
        sandbox.url + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
        method="GET" if method == "GET" else "POST",
    )
    try:
        with urllib.request.urlopen(req) as resp:  # noqa: S310 - loopback sandbox
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _tasks(sandbox):
    return sandbox.tenant.sites["/sites/x"].list_by_title("Tasks")


def test_client_field_update_sets_indexed(sandbox):
    ctx = client_for(sandbox)
    fld = ctx.web.lists.get_by_title("Tasks").fields.get_by_internal_name_or_title("Status")
    fld.set_property("Indexed", True).update().execute_query()
    assert _tasks(sandbox).field("Status").indexed
    fld = ctx.web.lists.get_by_title("Tasks").fields.get_by_title("Status").get().execute_query()
    assert fld.properties["Indexed"] is True


@pytest.mark.parametrize(
    "form",
    ["getByTitle('Amount')", "getByInternalNameOrTitle('Amount')", "BYGUID", "GETBYID"],
)
def test_field_merge_every_addressing_form(sandbox, form):
    lst = _tasks(sandbox)
    fid = lst.field("Amount").id
    seg = {"BYGUID": f"Fields(guid'{fid}')", "GETBYID": f"Fields/getById('{fid}')"}.get(
        form, f"Fields/{form}"
    )
    path = f"/sites/x/_api/web/lists/GetByTitle('Tasks')/{seg}"
    body = {"__metadata": {"type": "SP.FieldNumber"}, "Indexed": True, "Required": True}
    status, payload = _raw(sandbox, "MERGE", path, body)
    assert (status, payload) == (204, b"")
    assert lst.field("Amount").indexed and lst.field("Amount").required
    status, payload = _raw(sandbox, "GET", path)
    assert status == 200 and json.loads(payload)["d"]["Indexed"] is True


def test_field_merge_title_and_choices(sandbox):
    lst = _tasks(sandbox)
    path = "/sites/x/_api/web/lists/GetByTitle('Tasks')/Fields/getByTitle('Status')"
    body = {
        "__metadata": {"type": "SP.FieldChoice"},
        "Title": "State",
        "Choices": {"__metadata": {"type": "Collection(Edm.String)"}, "results": ["New", "Old"]},
    }
    assert _raw(sandbox, "MERGE", path, body)[0] == 204
    fld = lst.field("State")
    assert fld.internal_name == "Status" and fld.choices == ["New", "Old"]


def test_field_merge_errors(sandbox):
    base = "/sites/x/_api/web/lists/GetByTitle('Tasks')/Fields"
    status, payload = _raw(sandbox, "MERGE", f"{base}/getByTitle('Amount')", {"Bogus": 1})
    assert status == 400 and "Bogus" in payload.decode()
    status, _ = _raw(sandbox, "MERGE", f"{base}/getByTitle('Amount')", {"Choices": ["x"]})
    assert status == 400
    status, payload = _raw(sandbox, "MERGE", f"{base}/getByTitle('Nope')", {"Indexed": True})
    assert status == 404 and "-2147024809" in payload.decode()
    status, _ = _raw(sandbox, "MERGE", f"{base}(guid'00000000-0000-0000-0000-000000000000')", {})
    assert status == 404


def test_lists_by_guid_then_field_by_id_resolves_the_list_not_the_field(sandbox):
    lst = _tasks(sandbox)
    fid = lst.field("Done").id
    status, payload = _raw(
        sandbox, "GET", f"/sites/x/_api/Lists(guid'{lst.id}')/Fields/getById('{fid}')"
    )
    assert status == 200 and json.loads(payload)["d"]["InternalName"] == "Done"


def test_time_zone_shape_follows_the_site_zone(sandbox):
    site = sandbox.tenant.sites["/sites/x"]
    site.time_zone = "America/Los_Angeles"
    status, payload = _raw(sandbox, "GET", "/sites/x/_api/Web/RegionalSettings/TimeZone")
    d = json.loads(payload)["d"]
    assert status == 200 and d["__metadata"]["type"] == "SP.TimeZone"
    assert d["Description"] == "(UTC-08:00) Pacific Time (US and Canada)" and d["Id"] == 13
    assert {k: v for k, v in d["Information"].items() if k != "__metadata"} == {
        "Bias": 480,
        "DaylightBias": -60,
        "StandardBias": 0,
    }
    site.time_zone = "UTC"
    _, payload = _raw(sandbox, "GET", "/sites/x/_api/Web/RegionalSettings?$expand=TimeZone")
    d = json.loads(payload)["d"]
    assert d["TimeZone"]["Id"] == 93 and d["LocaleId"] == 1033
    _, payload = _raw(sandbox, "GET", "/sites/x/_api/Web/RegionalSettings")
    assert "__deferred" in json.loads(payload)["d"]["TimeZone"]


def test_client_reads_time_zone(sandbox):
    sandbox.tenant.sites["/sites/x"].time_zone = "America/New_York"
    ctx = client_for(sandbox)
    tz = ctx.web.regional_settings.time_zone.get().execute_query()
    assert tz.properties["Id"] == 10 and "Eastern" in tz.properties["Description"]


@pytest.mark.parametrize(
    ("iana", "zone_id"), [("America/Phoenix", 38), ("US/Pacific", 13), ("Mars/Base", 93)]
)
def test_windows_zone_table(iana, zone_id):
    assert windows_zone(iana).id == zone_id


def test_field_update_unknown_list_is_404(sandbox):
    ctx = client_for(sandbox)
    fld = ctx.web.lists.get_by_title("Missing").fields.get_by_title("Status")
    with pytest.raises(ClientRequestException) as err:
        fld.set_property("Indexed", True).update().execute_query()
    assert err.value.response.status_code == 404


def test_ordered_paging_token_carries_the_sort_value_and_survives_edits(sandbox):
    lst = _tasks(sandbox)
    path = "/sites/x/_api/web/lists/GetByTitle('Tasks')/items?$orderby=Title&$top=2&$select=Title"
    status, payload = _raw(sandbox, "GET", path)
    d = json.loads(payload)["d"]
    assert [r["Title"] for r in d["results"]] == ["Task 0", "Task 1"]
    nxt = d["__next"]
    assert "p_Title%3dTask%25201%26p_ID%3d2" in nxt
    lst.update_item(2, {"Title": "Zed"})  # the page's anchor row moves to the end
    seen = []
    while nxt:
        _status, payload = _raw(sandbox, "GET", nxt.replace(sandbox.url, ""))
        d = json.loads(payload)["d"]
        seen += [r["Title"] for r in d["results"]]
        nxt = d.get("__next")
    assert seen == ["Task 2", "Task 3", "Task 4", "Task 5", "Zed"]


def test_ordered_paging_by_date_descending(sandbox):
    path = "/sites/x/_api/web/lists/GetByTitle('Tasks')/items?$orderby=Due%20desc&$top=4"
    _status, payload = _raw(sandbox, "GET", path)
    d = json.loads(payload)["d"]
    assert [r["Id"] for r in d["results"]] == [6, 5, 4, 3]
    assert "p_Due%3d20260103%252008%253A00%253A00%26p_ID%3d3" in d["__next"]
    _status, payload = _raw(sandbox, "GET", d["__next"].replace(sandbox.url, ""))
    d = json.loads(payload)["d"]
    assert [r["Id"] for r in d["results"]] == [2, 1] and "__next" not in d
