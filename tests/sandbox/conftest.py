"""Fixtures: a sandbox server on port 0 over a small tenant, and office365 clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from office365.sharepoint.client_context import ClientContext

from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer

USERS = [
    {"email": "ada@example.org", "title": "Ada Lovelace"},
    {"email": "grace@example.org", "title": "Grace Hopper"},
    {"email": "alan@example.org", "title": "Alan Turing"},
]


def small_tenant() -> Tenant:
    """Two sites; Tasks with the common field kinds, a Customers lookup target, a library."""
    tasks_fields = [
        {"name": "Status", "kind": "Choice", "choices": ["Active", "Done", "Blocked"]},
        {"name": "Amount", "kind": "Number"},
        {"name": "Due", "kind": "DateTime"},
        {"name": "Done", "kind": "Boolean"},
        {"name": "AssignedTo", "kind": "User"},
        {"name": "Customer", "kind": "Lookup", "lookup_list": "Customers"},
        {"name": "Tags", "kind": "MultiChoice", "choices": ["A", "B", "C"]},
    ]
    tasks = [
        {"Title": f"Task {i}", "Status": ["Active", "Done", "Blocked"][i % 3], "Amount": i * 10.5,
         "Due": f"2026-01-{i + 1:02d}T08:00:00Z", "Done": i % 2 == 0,
         "AssignedTo": USERS[i % 3]["email"], "Customer": 1 + i % 2,
         "Tags": ["A", "B"][: 1 + i % 2]}
        for i in range(6)
    ]  # fmt: skip
    return Tenant.from_dict(
        {
            "format": "c3po-tenant/1",
            "tenant": {"name": "contoso"},
            "users": USERS,
            "sites": [
                {
                    "url": "/sites/x",
                    "title": "X Site",
                    "lists": [
                        {"title": "Customers", "items": [{"Title": "Acme"}, {"Title": "Globex"}]},
                        {"title": "Tasks", "fields": tasks_fields, "items": tasks},
                        {
                            "title": "Documents",
                            "template": 101,
                            "url": "Shared Documents",
                            "folders": ["A", "A/B"],
                            "files": [
                                {"path": "root.txt", "content": "root"},
                                {"path": "A/a1.txt", "content": "a1"},
                                {"path": "A/B/b1.txt", "content": "b1"},
                                {"path": "A/B/b2.txt", "content": "b2"},
                            ],
                        },
                    ],
                },
                {"url": "/sites/x/sub", "title": "Sub Site", "lists": [{"title": "O'Brien"}]},
            ],
        }
    )


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh server and tenant per test (cheap: the tenant is built in memory)."""
    with SandboxServer(small_tenant()) as server:
        yield server


def token() -> dict:
    return {"access_token": "sandbox", "token_type": "Bearer", "expires_in": 3600}


def client_for(sandbox: SandboxServer, site: str = "/sites/x") -> ClientContext:
    """An unmodified office365 3.3.0 client for one site of the sandbox."""
    return ClientContext(sandbox.url + site).with_access_token(token)
