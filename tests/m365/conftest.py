"""Fixtures: small sandbox tenants served over HTTP, and m365 connections pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.retry import RetryPolicy
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ColumnSpec, ListSpec

USERS = [
    {"email": "maria.lopez@example.gov", "title": "Maria Lopez"},
    {"email": "sam.chen@example.gov", "title": "Sam Chen"},
]

FAST_RETRY = RetryPolicy(max_attempts=8, max_total_wait=10.0, base_delay=0.01, max_delay=0.05)


def tenant_dict(sites: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": "c3po-tenant/1",
        "tenant": {"name": "city", "time_zone": "America/Los_Angeles"},
        "users": USERS,
        "sites": sites,
    }


def projects_site() -> dict[str, Any]:
    """A PPM site: a Projects list with person, lookup and multi-value columns, and a library."""
    return {
        "url": "/sites/ppm",
        "title": "PPM",
        "lists": [
            {"title": "Departments", "items": [{"Title": "Finance"}, {"Title": "Transport"}]},
            {
                "title": "Projects",
                "fields": [
                    {"name": "ProjectCode", "kind": "Text", "indexed": True},
                    {"name": "Budget", "kind": "Currency"},
                    {"name": "Phase", "kind": "Choice", "choices": ["Plan", "Build", "Run"]},
                    {"name": "PPM", "kind": "User"},
                    {"name": "Team", "kind": "UserMulti"},
                    {"name": "Department", "kind": "Lookup", "lookup_list": "Departments"},
                    {"name": "Tags", "kind": "MultiChoice", "choices": ["A", "B"]},
                    {"name": "Site", "kind": "URL"},
                ],
                "items": [
                    {
                        "Title": "Treasury System",
                        "ProjectCode": "TMS",
                        "Budget": 2000000,
                        "Phase": "Build",
                        "PPM": USERS[0]["email"],
                        "Team": [USERS[0]["email"], USERS[1]["email"]],
                        "Department": 1,
                        "Tags": ["A", "B"],
                        "Site": {"url": "https://example.gov/tms", "description": "TMS"},
                    },
                    {"Title": "Parking App", "ProjectCode": "PKG", "Phase": "Plan"},
                ],
            },
            {
                "title": "Documents",
                "template": 101,
                "url": "Shared Documents",
                "fields": [{"name": "DocType", "kind": "Text"}],
                "folders": ["TMS", "TMS/Contracts", "TMS/Contracts/2026", "PKG"],
                "files": [
                    {"path": "readme.txt", "content": "top"},
                    {"path": "TMS/charter.docx", "size": 100, "values": {"DocType": "Charter"}},
                    {"path": "TMS/Contracts/c1.pdf", "size": 50},
                    {"path": "TMS/Contracts/2026/c2.pdf", "size": 60},
                    {"path": "PKG/plan.xlsx", "size": 70, "author": USERS[1]["email"]},
                ],
            },
        ],
    }


def hub_site() -> dict[str, Any]:
    return {"url": "/sites/hub", "title": "Hub", "lists": []}


@pytest.fixture
def tenant() -> Tenant:
    return Tenant.from_dict(tenant_dict([projects_site(), hub_site()]))


@pytest.fixture
def server(tenant: Tenant) -> Iterator[SandboxServer]:
    with SandboxServer(tenant) as srv:
        yield srv


def _connect(server: SandboxServer, site: str, token: str = "sandbox") -> SiteConnection:
    return SiteConnection.open(server.url + site, StaticTokenProvider(token), policy=FAST_RETRY)


@pytest.fixture
def connect(server: SandboxServer) -> Callable[..., SiteConnection]:
    """``connect(site, token=...)``: a new connection (own session, own counters) to a site."""
    return lambda site, token="sandbox": _connect(server, site, token)


@pytest.fixture
def ppm(server: SandboxServer) -> SiteConnection:
    return _connect(server, "/sites/ppm")


@pytest.fixture
def hub(server: SandboxServer) -> SiteConnection:
    return _connect(server, "/sites/hub")


ROLLUP = ListSpec(
    title="Project Rollup",
    key_column="ProjectKey",
    columns=(
        ColumnSpec("ProjectKey", "Project Key", "Text"),
        ColumnSpec("Title", "Title", "Text"),
        ColumnSpec("Budget", "Budget", "Currency"),
        ColumnSpec("Phase", "Phase", "Choice", choices=("Plan", "Build", "Run", "Gone")),
        ColumnSpec("Kickoff", "Kickoff", "DateTime"),
        ColumnSpec("Active", "Active", "Boolean"),
        ColumnSpec("Link", "Link", "URL"),
        ColumnSpec("Notes", "Notes", "Note"),
        ColumnSpec("PPMComment", "PPM Comment", "Note", owned=False),
    ),
)


def rollup_rows(n: int = 3) -> list[dict[str, Any]]:
    return [
        {
            "ProjectKey": f"P{i:03d}",
            "Title": f"Project {i}",
            "Budget": 1000 * i + 0.5,
            "Phase": ["Plan", "Build", "Run"][i % 3],
            "Kickoff": f"2026-0{1 + i % 9}-15T08:00:00Z",
            "Active": i % 2 == 0,
            "Link": {"Url": f"https://example.gov/p{i}", "Description": f"P{i}"},
            "Notes": None,
        }
        for i in range(n)
    ]


@pytest.fixture
def spec() -> ListSpec:
    """The consolidated list the writer tests provision and upsert."""
    return ROLLUP


@pytest.fixture
def make_rows() -> Callable[[int], list[dict[str, Any]]]:
    return rollup_rows
