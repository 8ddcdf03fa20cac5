"""The SharePoint adapter contract suite's backends: the sandbox always, a real tenant when named.

A City admin runs the suite once against the real tenant (``pytest -m live``) with:

- ``C3PO_LIVE_SITE_URL``   a scratch site, e.g. https://city.sharepoint.com/sites/c3po-scratch
- ``C3PO_LIVE_TENANT``     the Entra tenant id (GUID or name.onmicrosoft.com)
- ``C3PO_LIVE_CLIENT_ID``  the app registration with Sites.Selected (write) on that site
- ``C3PO_LIVE_CERT_PATH``  the PEM private key (+ certificate) of the app
- ``C3PO_LIVE_THUMBPRINT`` the certificate's SHA-1 thumbprint (optional if the PEM has the cert)

Every test works in lists named ``C3PO Contract <run id> ...`` that it creates and deletes.
Without those variables the live half is not collected and one test says so (a skip).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from c3po_sync.m365.auth import MsalCertificateTokenProvider, StaticTokenProvider
from c3po_sync.m365.errors import ListNotFoundError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.m365.retry import RetryPolicy
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.base import ColumnSpec, ListSpec

LIVE_ENV = (
    "C3PO_LIVE_SITE_URL",
    "C3PO_LIVE_TENANT",
    "C3PO_LIVE_CLIENT_ID",
    "C3PO_LIVE_CERT_PATH",
)
NOT_CONFIGURED = (
    "live contract suite NOT RUN: set "
    + ", ".join(LIVE_ENV)
    + " (and C3PO_LIVE_THUMBPRINT) to run it against a real tenant; see docs/admin-guide.md"
)
SITE = "/sites/contract"
FAST = RetryPolicy(max_attempts=8, max_total_wait=30.0, base_delay=0.05, max_delay=1.0)

# A numbered list the contract reads past the list view threshold.
NUMBERED = ListSpec(
    title="",  # set per run
    key_column="RowKey",
    columns=(
        ColumnSpec("RowKey", "Row Key", "Text", indexed=True),
        ColumnSpec("Score", "Score", "Number"),
    ),
)


def live_configured() -> bool:
    return all(os.environ.get(name) for name in LIVE_ENV)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a tenant, the live half of each contract test is not collected at all; the one
    ``test_live_tenant_is_named`` skip says why (instead of one skip per test)."""
    if live_configured():
        return
    here = os.path.dirname(__file__)
    dropped = [
        i
        for i in items
        if str(i.path).startswith(here)
        and i.get_closest_marker("live") is not None
        and i.name != "test_live_tenant_is_named"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


@dataclass
class Backend:
    """One SharePoint to run the contract against: a connection to a scratch site."""

    name: str
    conn: SiteConnection
    tenant: Tenant | None = None  # the sandbox's model (fast seeding); None on a real tenant
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    created: list[str] = field(default_factory=list)

    def scratch_title(self, stem: str) -> str:
        """A list title unique to this run, deleted at the end."""
        title = f"C3PO Contract {self.run_id} {stem}"
        self.created.append(title)
        return title

    def seed_numbered(self, title: str, n: int) -> ListSpec:
        """A list of ``n`` items (RowKey R00000.., Score = its number)."""
        spec = ListSpec(title, NUMBERED.key_column, NUMBERED.columns)
        sink = SharePointListSink(self.conn)
        sink.ensure_list(spec)
        if self.tenant is not None:  # the sandbox's fast loader: no HTTP per item
            lst = self.tenant.sites[SITE].list_by_title(title)
            for i in range(n):
                lst.add_item({"Title": f"Row {i}", "RowKey": f"R{i:05d}", "Score": i}, record=False)
        else:
            sink.upsert(spec, [{"RowKey": f"R{i:05d}", "Score": i} for i in range(n)])
        return spec

    def seed_library(self, title: str, files: dict[str, bytes]) -> str:
        """A document library holding ``files`` (paths with folders), built over REST the way
        a PPM's library is: folders first, then uploads. Returns its root folder URL."""
        self.conn.send(
            "POST",
            self.conn.api("web/lists"),
            route="create library",
            body={"__metadata": {"type": "SP.List"}, "Title": title, "BaseTemplate": 101},
        )
        root = self.conn.get_json(
            self.conn.api(f"{list_path(title)}/RootFolder?$select=ServerRelativeUrl"),
            route="root folder",
        )["ServerRelativeUrl"]
        folders = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
        made: set[str] = set()
        for folder in folders:
            parts = folder.split("/")
            for depth in range(1, len(parts) + 1):
                path = "/".join(parts[:depth])
                if path not in made:
                    made.add(path)
                    self.conn.run_client_query(
                        lambda p=path: self.conn.ctx.web.folders.add(f"{root}/{p}"),
                        route=f"add folder {path}",
                    )
        for path, content in files.items():
            folder, _, name = path.rpartition("/")
            url = f"{root}/{folder}" if folder else root
            self.conn.run_client_query(
                lambda u=url, n=name, c=content: (
                    self.conn.ctx.web.get_folder_by_server_relative_url(u).files.upload_content(
                        c, n
                    )
                ),
                route=f"upload {path}",
            )
        return str(root)

    def cleanup(self) -> None:
        for title in self.created:
            try:
                self.conn.send(
                    "DELETE",
                    self.conn.api(list_path(title)),
                    route=f"delete scratch list '{title}'",
                    headers={"IF-MATCH": "*"},
                )
            except ListNotFoundError:
                pass


def _live_backend() -> Backend:
    site_url = os.environ["C3PO_LIVE_SITE_URL"].rstrip("/")
    parts = urlsplit(site_url)
    tokens = MsalCertificateTokenProvider(
        tenant_id=os.environ["C3PO_LIVE_TENANT"],
        client_id=os.environ["C3PO_LIVE_CLIENT_ID"],
        thumbprint=os.environ.get("C3PO_LIVE_THUMBPRINT") or None,
        private_key_path=os.environ["C3PO_LIVE_CERT_PATH"],
        resource=f"{parts.scheme}://{parts.netloc}",
    )
    return Backend("live", SiteConnection.open(site_url, tokens))


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[tuple[Tenant, SandboxServer]]:
    tenant = Tenant.from_dict(
        {
            "format": "c3po-tenant/1",
            "tenant": {"name": "city", "time_zone": "America/Los_Angeles"},
            "users": [{"email": "maria.lopez@example.gov", "title": "Maria Lopez"}],
            "sites": [{"url": SITE, "title": "Contract", "lists": []}],
        }
    )
    with SandboxServer(tenant, port=0) as server:
        yield tenant, server


def open_backend(request: pytest.FixtureRequest, name: str) -> Backend:
    """The sandbox's scratch site, or the tenant named by C3PO_LIVE_* (``name`` "live")."""
    if name == "live":
        return _live_backend()
    tenant, server = request.getfixturevalue("sandbox_server")
    conn = SiteConnection.open(server.url + SITE, StaticTokenProvider("sandbox"), policy=FAST)
    return Backend("sandbox", conn, tenant)


# Every contract runs on these; the live one only when C3PO_LIVE_* name a tenant.
BACKENDS = ["sandbox", pytest.param("live", marks=pytest.mark.live)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The contract's SharePoint: the sandbox always; the tenant named by C3PO_LIVE_* too."""
    chosen = open_backend(request, request.param)
    try:
        yield chosen
    finally:
        chosen.cleanup()
