"""The embedded demo City tenant, shipped inside the package so the demo needs no file."""

from __future__ import annotations

from datetime import date
from importlib import resources

from c3po_sync.sandbox.model import Tenant

# The demo tenant's dates are written relative to this day; evaluating as of it keeps the seeded
# problems (and only those) true however long after it the demo is run.
DEMO_ANCHOR = date(2026, 11, 1)


def load_demo_tenant() -> Tenant:
    with resources.as_file(resources.files("c3po_sync.sandbox") / "tenants" / "demo.yaml") as p:
        return Tenant.from_file(p)
