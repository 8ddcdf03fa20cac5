"""Person columns: e-mails resolved once per distinct e-mail, written as ids, compared as ids."""

from __future__ import annotations

from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.m365.provision import field_schema_xml
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ColumnSpec, ListSpec

from .conftest import USERS

STAFFED = ListSpec(
    title="Staffed",
    key_column="ProjectKey",
    columns=(
        ColumnSpec("ProjectKey", "Project Key", "Text"),
        ColumnSpec("PPM", "PPM", "Text"),
        ColumnSpec("PPMPerson", "PPM Person", "User"),
        ColumnSpec("Due", "Due", "DateTime", date_only=True),
    ),
)
NOBODY = "nobody@example.gov"


def _site_users_reads(server: SandboxServer) -> int:
    """Reads of Web/SiteUsers, alone or in a read ``$batch`` with the hub's time zone."""
    return server.stats.count("GET", "site_users") + server.stats.count(
        "GET", "site_users", in_batch=True
    )


def _writes(server: SandboxServer) -> int:
    """Write operations sent (in ``$batch`` requests); a read ``$batch`` holds GETs only."""
    return sum(n for (m, _r), n in server.stats.batch_operations.items() if m != "GET")


def _rows() -> list[dict]:
    emails = [USERS[0]["email"], USERS[1]["email"].upper(), NOBODY, None, USERS[0]["email"]]
    return [
        {"ProjectKey": f"K{i}", "PPM": e, "PPMPerson": e, "Due": "2026-03-01T08:00:00Z"}
        for i, e in enumerate(emails * 4)
    ]


def test_person_schema_is_a_people_only_user_field() -> None:
    xml = field_schema_xml(STAFFED.columns[2], indexed=False)
    assert 'Type="User"' in xml and 'UserSelectionMode="PeopleOnly"' in xml
    assert 'Format="DateOnly"' in field_schema_xml(STAFFED.columns[3], indexed=False)


def test_people_resolved_once_per_email_and_unknown_stays_empty(
    hub, server: SandboxServer, tenant: Tenant
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(STAFFED)
    rows = _rows()
    server.stats.reset()

    report = sink.upsert(STAFFED, rows)

    assert len(report.added) == 20
    assert _site_users_reads(server) == 1
    assert server.stats.count("POST", "ensure_user") == 1  # only the unknown e-mail, once
    lst = tenant.sites["/sites/hub"].list_by_title("Staffed")
    by_key = {it.values["ProjectKey"]: it.values for it in lst.items.values()}
    maria = tenant.user_by_login(USERS[0]["email"]).id
    sam = tenant.user_by_login(USERS[1]["email"]).id
    assert by_key["K0"]["PPMPerson"] == maria and by_key["K1"]["PPMPerson"] == sam
    assert by_key["K2"].get("PPMPerson") is None and by_key["K2"]["PPM"] == NOBODY
    assert by_key["K3"].get("PPMPerson") is None
    assert rows[0]["PPMPerson"] == USERS[0]["email"]  # the caller's rows are left as they were

    server.stats.reset()
    again = sink.upsert(STAFFED, rows)
    assert again.writes == 0 and again.unchanged == 20
    assert server.stats.count("POST", "ensure_user") == 0  # cached on the sink
    assert _writes(server) == 0


def test_changed_person_is_one_merge_and_a_new_sink_needs_one_lookup(
    hub, connect, server: SandboxServer, tenant: Tenant
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(STAFFED)
    rows = _rows()[:2]
    sink.upsert(STAFFED, rows)
    rows[0]["PPMPerson"] = USERS[1]["email"]
    server.stats.reset()

    report = SharePointListSink(connect("/sites/hub")).upsert(STAFFED, rows)

    assert report.changed == {"K0": ["PPMPerson"]}
    assert server.stats.count("MERGE", "item", in_batch=True) == 1
    assert _site_users_reads(server) == 1
    assert server.stats.count("POST", "ensure_user") == 0
    lst = tenant.sites["/sites/hub"].list_by_title("Staffed")
    k0 = next(it for it in lst.items.values() if it.values["ProjectKey"] == "K0")
    assert k0.values["PPMPerson"] == tenant.user_by_login(USERS[1]["email"]).id


def test_dry_run_never_calls_ensure_user(hub, server: SandboxServer) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(STAFFED)
    server.stats.reset()

    report = sink.upsert(STAFFED, _rows(), dry_run=True)

    assert len(report.added) == 20
    assert server.stats.count("POST", "ensure_user") == 0
    assert _writes(server) == 0


def test_unresolvable_person_is_reported_located_and_the_row_is_still_written(
    hub, server: SandboxServer, tenant: Tenant
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(STAFFED)

    report = sink.upsert(STAFFED, _rows())

    unresolved = [q for q in report.quarantined if q.column == "PPMPerson"]
    assert {(q.key, q.value) for q in unresolved} == {(f"K{i}", NOBODY) for i in (2, 7, 12, 17)}
    assert all(q.list_title == "Staffed" and "/sites/hub" in q.reason for q in unresolved)
    lst = tenant.sites["/sites/hub"].list_by_title("Staffed")
    k2 = next(it for it in lst.items.values() if it.values["ProjectKey"] == "K2")
    assert k2.values["PPM"] == NOBODY and k2.values["Due"]  # the rest of the row is written


def test_person_columns_read_back_as_the_emails_written(hub, server: SandboxServer) -> None:
    from c3po_sync.m365.list_readback import read_list_rows

    sink = SharePointListSink(hub)
    sink.ensure_list(STAFFED)
    sink.upsert(STAFFED, _rows()[:4])

    rows = {r["ProjectKey"]: r for r in read_list_rows(hub, STAFFED)}

    assert rows["K0"]["PPMPerson"] == USERS[0]["email"]
    assert rows["K1"]["PPMPerson"] == USERS[1]["email"]  # SharePoint's spelling of the e-mail
    assert rows["K2"]["PPMPerson"] is None and rows["K3"]["PPMPerson"] is None


def test_several_unknown_people_are_ensured_in_one_batch(
    hub, server: SandboxServer, tenant: Tenant
) -> None:
    sink = SharePointListSink(hub)
    sink.ensure_list(STAFFED)
    newcomer = "new.ppm@example.gov"
    rows = _rows()[:3] + [
        {"ProjectKey": f"N{i}", "PPM": e, "PPMPerson": e}
        for i, e in enumerate([newcomer, "ghost1@example.gov", "ghost2@example.gov"])
    ]
    tenant.add_user(newcomer, "New PPM")  # the sandbox lists every tenant user as a site user
    server.stats.reset()

    report = sink.upsert(STAFFED, rows)

    assert server.stats.count("POST", "ensure_user") == 0  # not one request per e-mail
    assert server.stats.count("POST", "ensure_user", in_batch=True) == 3
    by_key = {
        it.values["ProjectKey"]: it.values
        for it in tenant.sites["/sites/hub"].list_by_title("Staffed").items.values()
    }
    assert by_key["N0"]["PPMPerson"] == tenant.user_by_login(newcomer).id
    assert {q.value for q in report.quarantined} == {
        NOBODY,
        "ghost1@example.gov",
        "ghost2@example.gov",
    }


def test_a_list_whose_people_all_fail_to_resolve_still_writes_its_rows(
    hub, server: SandboxServer, tenant: Tenant
) -> None:
    """No e-mail of the rows resolves (here blanks, which the resolver drops): each person
    column stays empty; the text is never sent as a user id (SharePoint would refuse the row)."""
    sink = SharePointListSink(hub)
    sink.ensure_list(STAFFED)
    rows = [{"ProjectKey": f"N{i}", "PPM": NOBODY, "PPMPerson": "  ",
             "Due": "2026-03-01T08:00:00Z"} for i in range(3)]  # fmt: skip

    report = sink.upsert(STAFFED, rows)

    assert not [q for q in report.quarantined if "refused" in q.reason]
    lst = tenant.sites["/sites/hub"].list_by_title("Staffed")
    assert sorted(it.values["ProjectKey"] for it in lst.items.values()) == ["N0", "N1", "N2"]
