"""Tests of loading and saving the YAML tenant format."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.model_views import add_view
from c3po_sync.sandbox.tenant_file import TenantFormatError

DOC = """
format: c3po-tenant/1
tenant: {name: cityofsj, time_zone: America/Los_Angeles}
users:
  - {email: maria.lopez@sanjoseca.gov, title: Maria Lopez}
  - {email: bob@sanjoseca.gov, title: Bob, id: 20}
sites:
  - url: /sites/ppm-finance
    title: Finance
    lists:
      - title: Customers
        items: [{Title: Acme}]
      - title: Project List
        fields:
          - {name: PPM, kind: User}
          - {name: Team, kind: UserMulti}
          - {name: Kickoff, kind: DateTime, date_only: true}
          - {name: Tags, kind: MultiChoice, choices: [A, B]}
          - {name: Customer, kind: Lookup, lookup_list: Customers}
          - {name: Link, kind: URL}
          - {name: Area, kind: TaxonomyFieldType}
          - {name: Modified, indexed: true}
        items:
          - Title: TMS
            PPM: maria.lopez@sanjoseca.gov
            Team: [maria.lopez@sanjoseca.gov, bob@sanjoseca.gov]
            Kickoff: 2026-01-15
            Tags: [A, B]
            Customer: 1
            Link: {url: "https://x", description: Site}
            Area: {label: Finance, term_guid: "3f77"}
            modified: 2026-10-02T17:00:00Z
            version: 3
          - {id: 7, Title: Summer, Kickoff: 2026-07-15}
      - title: Documents
        template: 101
        folders: [TMS, TMS/Contracts]
        files:
          - {path: TMS/Charter.docx, size: 100, values: {Title: Charter}}
          - {path: TMS/Contracts/a.txt, content: hello}
"""


def clock() -> datetime:
    return datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def load() -> Tenant:
    return Tenant.from_dict(yaml.safe_load(DOC), clock=clock)


def test_natural_values_become_wire_values() -> None:
    t = load()
    lst = t.sites["/sites/ppm-finance"].list_by_title("Project List")
    item = lst.get_item(1)
    assert item.values["PPM"] == 10 and item.values["Team"] == [10, 20]
    assert item.values["Kickoff"] == "2026-01-15T08:00:00Z"  # PST midnight
    assert lst.get_item(7).values["Kickoff"] == "2026-07-15T07:00:00Z"  # PDT midnight
    assert item.etag == '"3"' and lst.field("Modified").indexed and lst.next_id == 8
    assert item.values["Area"]["WssId"] == 1
    lib = t.sites["/sites/ppm-finance"].list_by_title("Documents")
    assert (
        len(lib.site.file("/sites/ppm-finance/Documents/TMS/Charter.docx")[1].file.content) == 100
    )


def test_round_trip_with_changes(tmp_path: Path) -> None:
    t = load()
    lst = t.sites["/sites/ppm-finance"].list_by_title("Project List")
    start = lst.current_change_token()
    lst.add_item({"Title": "New", "Kickoff": "2026-03-08T08:00:00Z"})
    lst.update_item(1, {"Title": "TMS 2"})
    path = tmp_path / "state.yaml"
    t.save(path)
    again = Tenant.from_file(path, clock=clock)
    assert again.to_dict() == t.to_dict()
    lst2 = again.sites["/sites/ppm-finance"].list_by_title("Project List")
    assert [(c.change_type, c.item_id) for c in lst2.get_changes(start)] == [(1, 8), (2, 1)]
    assert lst2.add_item({"Title": "next"}).id == 9
    saved = yaml.safe_load(path.read_text())
    kick = saved["sites"][0]["lists"][1]["items"][0]["Kickoff"]
    assert str(kick) == "2026-01-15"


def test_errors_name_the_key() -> None:
    data = yaml.safe_load(DOC)
    data["sites"][0]["lists"][1]["items"][0]["Nope"] = 1
    with pytest.raises(TenantFormatError, match=r"items\[0\]\.Nope"):
        Tenant.from_dict(data)
    data = yaml.safe_load(DOC)
    data["sites"][0]["lists"][1]["items"][0]["PPM"] = "ghost@x"
    with pytest.raises(TenantFormatError, match="ghost@x"):
        Tenant.from_dict(data)
    with pytest.raises(TenantFormatError, match="format"):
        Tenant.from_dict({"format": "other"})


def test_size_only_files_stay_lazy_until_read_and_save_without_content() -> None:
    t = load()
    site = t.sites["/sites/ppm-finance"]
    _lst, charter = site.file("/sites/ppm-finance/Documents/TMS/Charter.docx")
    _lst, text = site.file("/sites/ppm-finance/Documents/TMS/Contracts/a.txt")
    assert charter.file.generated and charter.file.size == 100
    assert not text.file.generated and text.file.content == b"hello"
    files = {f["path"]: f for f in t.to_dict()["sites"][0]["lists"][2]["files"]}
    assert "content" not in files["TMS/Charter.docx"] and files["TMS/Charter.docx"]["size"] == 100
    assert files["TMS/Contracts/a.txt"]["content"] == "hello"
    site.add_file("/sites/ppm-finance/Documents/TMS", "Charter.docx", b"\xff\x00new")
    assert not charter.file.generated and charter.file.size == 5
    files = {f["path"]: f for f in t.to_dict()["sites"][0]["lists"][2]["files"]}
    assert files["TMS/Charter.docx"]["content_base64"] == "/wBuZXc="


def test_user_lookup_by_email_login_and_claims() -> None:
    t = load()
    bob = t.users[20]
    assert t.user_by_login("BOB@sanjoseca.gov") is bob
    assert t.user_by_login("i:0#.f|membership|bob@sanjoseca.gov") is bob
    assert t.add_user("new@sanjoseca.gov").id == 21


def test_views_added_to_a_list_survive_a_save_and_reload(tmp_path: Path) -> None:
    """SharePoint keeps a list's views; a saved and re-served tenant must too, or every list a
    run provisioned looks unprovisioned after `sandbox serve --save-on-exit` restarts."""
    t = load()
    lst = t.sites["/sites/ppm-finance"].list_by_title("Project List")
    add_view(lst, {"Title": "Open", "ViewFields": ["LinkTitle"], "Query": "", "RowLimit": 50})
    path = tmp_path / "state.yaml"
    t.save(path)
    again = Tenant.from_file(path, clock=clock)
    views = again.sites["/sites/ppm-finance"].list_by_title("Project List").views
    assert [(v.title, v.default, v.row_limit) for v in views] == [
        ("All Items", True, 30),
        ("Open", False, 50),
    ]
    assert views == lst.views
