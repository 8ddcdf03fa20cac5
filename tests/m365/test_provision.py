"""Provisioning names columns as the writer expects and survives lost answers without doubles."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.errors import ProvisioningError
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.responses import error_reply
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ColumnSpec, ListSpec
from c3po_sync.sinks.hub_lists import PORTFOLIO

from .conftest import FAST_RETRY, hub_site, projects_site, tenant_dict

SPACED = ListSpec(
    title="Scratch Findings",
    key_column="FindingKey",
    columns=(
        ColumnSpec("FindingKey", "Finding Key", "Text", indexed=True),
        ColumnSpec("OpenFindings", "Open Findings", "Number"),
        ColumnSpec("Status", "Status", "Choice", choices=("Open", "Closed")),
        ColumnSpec("DueDate", "Due Date", "DateTime", date_only=True),
    ),
)


class _Answers(SandboxServer):
    """Loses the answer (applied, then cut off) of the first request on each path in ``lose``;
    ``strip_options`` sends CreateFieldAsXml on without its options, as a server ignoring them.
    """

    lose: set[str] = set()
    strip_options = False
    refuse_choices = False
    lost: list[str]

    def handle(self, request):  # type: ignore[no-untyped-def]
        path = request.path.lower()
        if (
            self.refuse_choices
            and path.endswith("/fields")
            and "choices" in request.query.get("$select", "").lower()
        ):
            refused = BadRequest("The property 'Choices' does not exist on type 'SP.Field'.")
            return error_reply(request, refused), False, False
        if self.strip_options and path.endswith("/fields/createfieldasxml"):
            body = json.loads(request.body)
            body["parameters"].pop("Options", None)
            request.body = json.dumps(body).encode()
        for suffix in list(self.lose):
            if path.endswith(suffix) and request.method == "POST":
                self.lose.discard(suffix)
                self.lost.append(suffix)
                reply, _drop, _truncate = super().handle(request)
                return reply, True, False
        return super().handle(request)


@pytest.fixture
def answers() -> Iterator[tuple[Tenant, _Answers]]:
    tenant = Tenant.from_dict(tenant_dict([projects_site(), hub_site()]))
    server = _Answers(tenant, port=0)
    server.lost = []
    server.lose = set()
    server.refuse_choices = False
    with server:
        yield tenant, server


def _sink(server: SandboxServer) -> SharePointListSink:
    conn = SiteConnection.open(
        server.url + "/sites/hub", StaticTokenProvider("sandbox"), policy=FAST_RETRY
    )
    return SharePointListSink(conn)


def _internal_names(tenant: Tenant, title: str) -> list[str]:
    return [f.internal_name for f in tenant.sites["/sites/hub"].list_by_title(title).fields]


def test_columns_get_the_internal_names_the_writer_uses(answers) -> None:
    tenant, server = answers
    _sink(server).ensure_list(PORTFOLIO)
    names = _internal_names(tenant, PORTFOLIO.title)
    for column in PORTFOLIO.columns:
        assert column.internal_name in names, column
    assert not [n for n in names if "_x0020_" in n]


def test_a_column_named_otherwise_stops_with_a_located_error(answers) -> None:
    tenant, server = answers
    server.strip_options = True  # the server derives the name from "Finding Key"
    with pytest.raises(ProvisioningError) as caught:
        _sink(server).ensure_list(SPACED)
    err = caught.value
    assert (err.site, err.list_title, err.column) == ("/sites/hub", SPACED.title, "Finding Key")
    assert (err.expected, err.actual) == ("FindingKey", "Finding_x0020_Key")
    assert "/sites/hub/Scratch Findings" in str(err)


def test_lost_create_answers_make_no_double_and_no_failure(answers) -> None:
    tenant, server = answers
    server.lose = {"/web/lists", "/fields/createfieldasxml"}

    changes = _sink(server).ensure_list(SPACED)

    assert sorted(server.lost) == ["/fields/createfieldasxml", "/web/lists"]
    names = _internal_names(tenant, SPACED.title)
    for column in SPACED.columns:
        assert names.count(column.internal_name) == 1
    for c in SPACED.columns:  # a re-sent create would have made e.g. "Status1"
        suffixes = [n[len(c.internal_name) :] for n in names if n.startswith(c.internal_name)]
        assert not [s for s in suffixes if s.isdigit()], (c.internal_name, names)
    assert "create list 'Scratch Findings'" in changes
    assert _sink(server).ensure_list(SPACED) == []
    titles = [lst.title for lst in tenant.sites["/sites/hub"].lists.values()]
    assert titles.count(SPACED.title) == 1


def test_a_choice_column_made_by_an_older_release_gains_the_new_choices(answers) -> None:
    """A release that writes a new choice adds it to the existing column, keeping the choices
    someone added by hand; a dry run only says so, and a second run has nothing to do."""
    tenant, server = answers
    sink = _sink(server)
    older = ListSpec(
        title=SPACED.title,
        key_column=SPACED.key_column,
        columns=tuple(
            ColumnSpec("Status", "Status", "Choice", choices=("Open",))
            if c.internal_name == "Status"
            else c
            for c in SPACED.columns
        ),
    )
    sink.ensure_list(older)
    status = tenant.sites["/sites/hub"].list_by_title(SPACED.title).field("Status")
    status.choices = [*status.choices, "Parked"]  # added by hand in the list settings

    planned = sink.ensure_list(SPACED, dry_run=True)

    assert planned == ["add choices 'Closed' to column Status"]
    assert status.choices == ["Open", "Parked"]
    assert sink.ensure_list(SPACED) == planned
    assert status.choices == ["Open", "Parked", "Closed"]
    assert sink.ensure_list(SPACED) == []


def test_a_choice_column_turned_into_text_is_left_as_it_is(answers) -> None:
    tenant, server = answers
    sink = _sink(server)
    sink.ensure_list(SPACED)
    lst = tenant.sites["/sites/hub"].list_by_title(SPACED.title)
    lst.field("Status").kind = "Text"

    assert sink.ensure_list(SPACED) == []


def test_a_server_refusing_to_select_choices_still_provisions(answers) -> None:
    """No recorded SharePoint answer proves ``$select=…,Choices`` on a Fields collection: if
    it is refused, the list is provisioned as before and only choices go unchecked."""
    tenant, server = answers
    server.refuse_choices = True
    sink = _sink(server)

    sink.ensure_list(SPACED)

    names = _internal_names(tenant, SPACED.title)
    assert all(c.internal_name in names for c in SPACED.columns)
    assert sink.ensure_list(SPACED) == []
