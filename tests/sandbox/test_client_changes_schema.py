"""The office365 3.3.0 client reads the sandbox's schema changes: SP.ChangeField, SP.ChangeList."""

from __future__ import annotations

import requests
from office365.sharepoint.changes.query import ChangeQuery
from office365.sharepoint.changes.token import ChangeToken

from c3po_sync.sandbox.server import SandboxServer

from .conftest import client_for

AUTH = {"Authorization": "Bearer sandbox", "Accept": "application/json;odata=verbose"}


def _token(obj) -> str:
    obj.select(["CurrentChangeToken"]).get().execute_query()
    return obj.properties["CurrentChangeToken"].StringValue


def _raw_changes(sandbox: SandboxServer, token: str, **flags: bool) -> list[dict]:
    """The wire rows (the client picks change classes by property names, see below)."""
    start = {"__metadata": {"type": "SP.ChangeToken"}, "StringValue": token}
    query = {"__metadata": {"type": "SP.ChangeQuery"}, **flags, "ChangeTokenStart": start}
    r = requests.post(
        f"{sandbox.url}/sites/x/_api/site/getChanges",
        json={"query": query},
        headers={**AUTH, "Content-Type": "application/json;odata=verbose"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()["d"]["results"]


def test_field_add_update_delete_and_list_changes_are_logged(sandbox: SandboxServer) -> None:
    ctx = client_for(sandbox)
    start = _token(ctx.site)
    lst = ctx.web.lists.get_by_title("Tasks")
    lst.select(["Id"]).get().execute_query()
    list_id = lst.properties["Id"]
    fld = lst.fields.get_by_internal_name_or_title("Amount")
    fld.set_property("Title", "Amount (USD)").update().execute_query()
    fld.set_property("Title", "Amount (USD)").update().execute_query()  # no change: not logged
    tasks = sandbox.tenant.sites["/sites/x"].list_by_title("Tasks")
    added = tasks.add_field("Owner Notes", "Text")
    tasks.delete_field(added)
    site = sandbox.tenant.sites["/sites/x"]
    made = site.create_list("Risks")
    site.rename_list(made, "Risk Register")
    site.delete_list(made)

    flags = ("Field", "List", "Add", "Update", "DeleteObject", "Rename", "Move", "Alert", "Web")
    rows = _raw_changes(sandbox, start, **dict.fromkeys(flags, True))
    shapes = [(r["__metadata"]["type"], r["ChangeType"]) for r in rows]
    assert shapes == [
        ("SP.ChangeField", 2),
        ("SP.ChangeField", 1),
        ("SP.ChangeField", 3),
        ("SP.ChangeList", 1),
        ("SP.ChangeList", 2),
        ("SP.ChangeList", 3),
    ]
    assert rows[0]["FieldId"] == tasks.field("Amount").id and rows[0]["ListId"] == list_id
    assert rows[4]["Title"] == "Risk Register"
    assert all(r["WebId"] and r["ChangeToken"]["StringValue"].startswith("1;1;") for r in rows)

    # An item-only query sees none of them; the client's own query object works unchanged.
    assert _raw_changes(sandbox, start, Item=True, Add=True, Update=True) == []
    changes = ctx.site.get_changes(
        ChangeQuery(Field=True, List=True, ChangeTokenStart=ChangeToken(start))
    ).execute_query()
    assert len(changes) == 6
    # 3.3.0 picks the class by property names, not __metadata.type: rows with ListId and WebId
    # become ChangeList, so readers that need the kind must read the wire type (m365 does).
    assert [type(c).__name__ for c in changes] == ["ChangeList"] * 6
    assert changes[0].properties["FieldId"] == rows[0]["FieldId"]  # the data is all there


def test_move_flag_returns_both_halves_of_a_move(sandbox: SandboxServer) -> None:
    from c3po_sync.sandbox.model_changes import Change

    site = sandbox.tenant.sites["/sites/x"]
    start = site.current_change_token()
    tasks = site.list_by_title("Tasks")
    for kind in (5, 6):
        site.change_log.record(
            Change(kind, 1, tasks.id, site.web_id, site.id, sandbox.tenant.now(), 0)
        )
    assert [r["ChangeType"] for r in _raw_changes(sandbox, start, Item=True, Move=True)] == [5, 6]
    assert _raw_changes(sandbox, start, Item=True, Add=True, Bogus=True) == []
