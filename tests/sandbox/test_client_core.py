"""The unmodified office365 3.3.0 client against the sandbox: site, lists, fields and item reads."""

from __future__ import annotations

import pytest
from office365.runtime.client_request_exception import ClientRequestException
from office365.sharepoint.fields.creation_information import FieldCreationInformation
from office365.sharepoint.fields.type import FieldType

from .conftest import client_for


def test_contextinfo_and_web(sandbox):
    ctx = client_for(sandbox)
    web = ctx.web.get().execute_query()
    assert web.title == "X Site"
    assert web.url == sandbox.url + "/sites/x"
    assert web.properties["ServerRelativeUrl"] == "/sites/x"
    assert sandbox.stats.count("POST", "contextinfo") == 1
    assert web.properties["CurrentChangeToken"].StringValue.startswith("1;1;")


def test_longest_site_prefix_and_quoted_title(sandbox):
    ctx = client_for(sandbox, "/sites/x/sub")
    lst = ctx.web.lists.get_by_title("O'Brien").get().execute_query()
    assert lst.title == "O'Brien"
    assert ctx.web.get().execute_query().title == "Sub Site"


def test_get_list_by_title_with_entity_type_and_token(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    lst.select(["ListItemEntityTypeFullName", "Id", "CurrentChangeToken"]).get().execute_query()
    assert lst.properties["ListItemEntityTypeFullName"] == "SP.Data.TasksListItem"
    assert lst.properties["CurrentChangeToken"].StringValue.startswith(f"1;3;{lst.id};")
    again = ctx.web.lists.get_by_id(lst.id).get().execute_query()
    assert again.title == "Tasks"


def test_missing_list_is_404_with_sharepoint_code(sandbox):
    ctx = client_for(sandbox)
    with pytest.raises(ClientRequestException) as err:
        ctx.web.lists.get_by_title("Nope").get().execute_query()
    assert err.value.response.status_code == 404
    assert err.value.code == "-1, System.ArgumentException"
    assert "List 'Nope' does not exist at site with URL" in err.value.message


def test_create_list_and_duplicate_via_ensure_list(sandbox):
    ctx = client_for(sandbox)
    created = ctx.web.lists.ensure_list("Rollup").execute_query()
    assert created.title == "Rollup"
    assert sandbox.stats.count("POST", "lists") == 1
    again = ctx.web.lists.ensure_list("Rollup").execute_query()
    assert again.properties["Id"] == created.properties["Id"]
    assert sandbox.stats.statuses[500] >= 1  # the duplicate POST answered -2130575342
    titles = [lst.title for lst in ctx.web.lists.get().execute_query()]
    assert titles.count("Rollup") == 1


def test_fields_list_get_and_add(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    fields = lst.fields.get().execute_query()
    names = {f.internal_name for f in fields}
    assert {"Title", "Status", "AssignedTo", "Customer"} <= names
    status = lst.fields.get_by_title("Status").get().execute_query()
    assert status.properties["FieldTypeKind"] == FieldType.Choice
    assert list(status.properties["Choices"]) == ["Active", "Done", "Blocked"]
    by_name = lst.fields.get_by_internal_name_or_title("AssignedTo").get().execute_query()
    assert by_name.properties["TypeAsString"] == "User"
    amount = lst.fields.add(FieldType.Currency, Title="Budget")
    amount.execute_query()
    assert amount.properties["FieldTypeKind"] == FieldType.Currency
    info = FieldCreationInformation(
        Title="Phase", FieldTypeKind=FieldType.Choice, Choices=["One", "Two"]
    )
    phase = lst.fields.add_field(info).execute_query()
    assert phase.properties["InternalName"] == "Phase"
    xml = '<Field Type="Number" Name="Score" DisplayName="Score" Indexed="TRUE"/>'
    score = lst.fields.create_field_as_xml(xml).execute_query()
    assert score.properties["Indexed"] is True and score.properties["InternalName"] == "Score"


def test_ensure_field_creates_only_when_missing(sandbox):
    ctx = client_for(sandbox)
    lst = ctx.web.lists.get_by_title("Tasks")
    info = FieldCreationInformation(
        Title="Region", FieldTypeKind=FieldType.Choice, Choices=["N", "S"]
    )
    lst.ensure_field(info).execute_query()
    lst.ensure_field(info).execute_query()
    assert sandbox.stats.count("POST", "field_add") == 1
    with pytest.raises(ClientRequestException) as err:
        lst.fields.get_by_title("Nope").get().execute_query()
    assert err.value.code == "-2147024809, System.ArgumentException"  # a field, not an item


def _items(ctx, **opts):
    coll = ctx.web.lists.get_by_title("Tasks").items
    if "select" in opts:
        coll = coll.select(opts["select"])
    if "expand" in opts:
        coll = coll.expand(opts["expand"])
    if "filter" in opts:
        coll = coll.filter(opts["filter"])
    if "orderby" in opts:
        coll.query_options.custom["$orderby"] = opts["orderby"]
    if "top" in opts:
        coll = coll.top(opts["top"])
    return [it.properties for it in coll.get().execute_query()]


def test_select_expand_person_and_lookup(sandbox):
    rows = _items(
        client_for(sandbox),
        select=[
            "Id",
            "Title",
            "AssignedTo/Title",
            "AssignedTo/EMail",
            "Customer/Title",
            "AssignedToId",
        ],
        expand=["AssignedTo", "Customer"],
        top=2,
    )
    assert rows[0]["AssignedTo"] == {"Title": "Ada Lovelace", "EMail": "ada@example.org"}
    assert rows[1]["Customer"] == {"Title": "Globex"}
    assert isinstance(rows[0]["AssignedToId"], int)
    assert "Status" not in rows[0]


@pytest.mark.parametrize(
    ("flt", "ids"),
    [
        ("Status eq 'Active'", [1, 4]),
        ("Status ne 'Active'", [2, 3, 5, 6]),
        ("Amount gt 31.5", [5, 6]),
        ("Amount ge 31.5", [4, 5, 6]),
        ("Amount lt 10.5", [1]),
        ("Amount le 10.5", [1, 2]),
        ("Due ge datetime'2026-01-05T00:00:00Z'", [5, 6]),
        ("Done eq 1 and Status eq 'Blocked'", [3]),
        ("Status eq 'Done' or Id eq 1", [1, 2, 5]),
        ("startswith(Title,'Task 1')", [2]),
        ("substringof('sk 5',Title)", [6]),
        ("AssignedTo/EMail eq 'grace@example.org'", [2, 5]),
        ("CustomerId eq 2", [2, 4, 6]),
    ],
)
def test_filter_operators(sandbox, flt, ids):
    rows = _items(client_for(sandbox), select=["Id"], filter=flt)
    assert [r["Id"] for r in rows] == ids


def test_orderby_via_custom_option_and_bogus_order_by_ignored(sandbox):
    ctx = client_for(sandbox)
    rows = _items(ctx, select=["Id", "Amount"], orderby="Amount desc", top=3)
    assert [r["Id"] for r in rows] == [6, 5, 4]
    coll = ctx.web.lists.get_by_title("Tasks").items.select(["Id"]).order_by("Title desc").get()
    assert [it.id for it in coll.execute_query()] == [1, 2, 3, 4, 5, 6]  # $order_by is not OData


def test_bad_field_name_is_400(sandbox):
    with pytest.raises(ClientRequestException) as err:
        _items(client_for(sandbox), filter="Nope eq 1")
    assert err.value.response.status_code == 400
    with pytest.raises(ClientRequestException) as err:
        _items(client_for(sandbox), select=["Nope"])
    assert err.value.response.status_code == 400
