"""SharePoint Online's limits on item write values, over every write path the client uses.

Evidence sits beside the rules in `c3po_sync/sandbox/model_limits.py` and `responses.py`.
"""

from __future__ import annotations

import json

import pytest
import requests
from office365.runtime.client_request_exception import ClientRequestException

from .conftest import client_for

TEXT_CODE = "-2130575336, Microsoft.SharePoint.SPException"


def _site(sandbox):
    return sandbox.tenant.sites["/sites/x"]


def _tasks(sandbox):
    return _site(sandbox).list_by_title("Tasks")


def test_text_over_255_utf16_units_is_refused_with_spo_code(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    assert lst.add_item({"Title": "x" * 255}).execute_query().properties["Title"] == "x" * 255
    with pytest.raises(ClientRequestException) as err:
        lst.add_item({"Title": "x" * 256}).execute_query()
    assert err.value.response.status_code == 500 and err.value.code == TEXT_CODE
    assert "Invalid text value" in str(err.value)
    # 128 emoji are 128 code points but 256 UTF-16 code units
    with pytest.raises(ClientRequestException) as err:
        lst.get_item_by_id(1).set_property("Title", "\U0001f642" * 128).update().execute_query()
    assert err.value.code == TEXT_CODE
    assert _tasks(sandbox).get_item(1).values["Title"] == "Task 0"


def _post_part(base: str, type_name: str, title: str) -> str:
    body = json.dumps({"__metadata": {"type": type_name}, "Title": title})
    return (
        "--cs\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        f"POST {base}/_api/web/lists/getbytitle('Tasks')/items HTTP/1.1\r\n"
        "Content-Type: application/json;odata=verbose\r\n\r\n"
        f"{body}\r\n"
    )


def test_over_long_text_in_a_batch_part_fails_that_part(sandbox):
    """Raw `$batch` (the 3.3.0 client retries a 500 part with back-off, which takes a minute)."""
    base = sandbox.url + "/sites/x"
    type_name = _tasks(sandbox).list_item_entity_type_full_name
    changeset = _post_part(base, type_name, "fits") + _post_part(base, type_name, "y" * 300)
    body = (
        f"--b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n{changeset}--cs--\r\n--b--\r\n"
    )
    resp = requests.post(
        base + "/_api/$batch",
        data=body.encode(),
        headers={"Authorization": "Bearer t", "Content-Type": "multipart/mixed; boundary=b"},
        timeout=10,
    )
    assert resp.status_code == 200
    assert "HTTP/1.1 201" in resp.text and "HTTP/1.1 500" in resp.text
    assert TEXT_CODE in resp.text
    titles = {it.values.get("Title") for it in _tasks(sandbox).items.values()}
    assert "fits" in titles and "y" * 300 not in titles


def test_hyperlink_url_over_255_is_refused(sandbox):
    _tasks(sandbox).add_field("Link", "URL")
    lst = client_for(sandbox).web.lists.get_by_title("Tasks")
    ok = {"__metadata": {"type": "SP.FieldUrlValue"}, "Url": "https://x/" + "a" * 245}
    lst.add_item({"Title": "ok", "Link": ok}).execute_query()
    long = {"__metadata": {"type": "SP.FieldUrlValue"}, "Url": "https://x/" + "a" * 246}
    with pytest.raises(ClientRequestException) as err:
        lst.add_item({"Title": "long", "Link": long}).execute_query()
    assert err.value.code == TEXT_CODE


def test_validate_update_reports_over_long_text_in_band(sandbox):
    item = client_for(sandbox).web.lists.get_by_title("Tasks").get_item_by_id(2)
    result = item.validate_update_list_item({"Title": "z" * 256}).execute_query()
    (value,) = result.value
    assert value.HasException is True and value.ErrorCode == -2130575336


@pytest.mark.parametrize("when", ["1899-12-31T00:00:00Z", "8901-01-01T00:00:00Z"])
def test_datetime_outside_sharepoint_range_is_400(sandbox, when):
    lst = client_for(sandbox).web.lists.get_by_title("Tasks")
    with pytest.raises(ClientRequestException) as err:
        lst.add_item({"Title": "d", "Due": when}).execute_query()
    assert err.value.response.status_code == 400
    lst.add_item({"Title": "d", "Due": "1900-01-01T00:00:00Z"}).execute_query()


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_json_are_400(sandbox, token):
    ctx = client_for(sandbox)
    entity = ctx.web.lists.get_by_title("Tasks").get().execute_query()
    type_name = entity.properties["ListItemEntityTypeFullName"]
    body = json.dumps({"__metadata": {"type": type_name}, "Amount": 0}).replace(
        " 0}", f" {token}}}"
    )
    resp = requests.post(
        sandbox.url + "/sites/x/_api/web/lists/getbytitle('Tasks')/items",
        data=body,
        headers={"Authorization": "Bearer t", "Accept": "application/json;odata=verbose",
                 "Content-Type": "application/json;odata=verbose"},
        timeout=10,
    )  # fmt: skip
    assert resp.status_code == 400
    assert "Invalid JSON" in json.loads(resp.text)["error"]["message"]["value"]


def test_choice_outside_the_choices_is_accepted(sandbox):
    lst = client_for(sandbox).web.lists.get_by_title("Tasks")
    item = lst.add_item({"Title": "c", "Status": "Not a choice"}).execute_query()
    assert _tasks(sandbox).get_item(item.id).values["Status"] == "Not a choice"


def test_date_only_column_stores_site_local_midnight(sandbox):
    site = _site(sandbox)
    site.time_zone = "America/Los_Angeles"
    _tasks(sandbox).add_field("Start", "DateTime", date_only=True)
    lst = client_for(sandbox).web.lists.get_by_title("Tasks")
    utc_midnight = lst.add_item({"Title": "a", "Start": "2026-03-05T00:00:00Z"}).execute_query()
    assert utc_midnight.properties["Start"] == "2026-03-04T08:00:00Z"  # the 4th, locally
    local = lst.add_item({"Title": "b", "Start": "2026-07-05T13:30:00"}).execute_query()
    assert local.properties["Start"] == "2026-07-05T07:00:00Z"  # PDT midnight
    read = lst.get_item_by_id(local.id).get().execute_query()
    assert read.properties["Start"] == "2026-07-05T07:00:00Z"
    plain = lst.add_item({"Title": "c", "Due": "2026-03-05T00:00:00Z"}).execute_query()
    assert plain.properties["Due"] == "2026-03-05T00:00:00Z"  # date and time: kept as sent


def test_create_field_as_xml_format_dateonly_makes_a_date_only_column(sandbox):
    _site(sandbox).time_zone = "America/New_York"
    lst = client_for(sandbox).web.lists.get_by_title("Tasks")
    xml = '<Field Type="DateTime" Name="Kickoff" DisplayName="Kickoff" Format="DateOnly"/>'
    made = lst.fields.create_field_as_xml(xml).execute_query()
    assert made.properties["DisplayFormat"] == 0
    item = lst.add_item({"Title": "k", "Kickoff": "2026-01-10T12:00:00Z"}).execute_query()
    assert item.properties["Kickoff"] == "2026-01-10T05:00:00Z"
