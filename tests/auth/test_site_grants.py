"""Sites.Selected grants: the sandbox refuses what a role lacks, and C3PO Sync says so first.

The sandbox answers with SharePoint's 403 and EffectiveBasePermissions masks (sandbox/grants.py
cites the evidence); `auth test` and `validate --rights` name each missing right with its grant
command; a nightly run without `manage` on the hub fails before its first write, with the same fix.
Everything runs the real office365 client over HTTP against the sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.m365.base_permissions import MANAGE, READ, WRITE, has
from c3po_sync.m365.errors import SharePointRequestError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.site_rights import effective_permissions
from c3po_sync.sandbox.demo import load_demo_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sandbox.tenant_file import TenantFormatError
from c3po_sync.sandbox.token_server import TokenServer, self_signed_certificate

ROOT = Path(__file__).resolve().parents[2]
HUB = "/sites/c3po"
SOURCES = ("/sites/ppm-finance", "/sites/ppm-community", "/sites/ppm-planning", "/sites/itd")
MANAGE_FIX = "-Permissions Manage"


def _grant(tenant: Tenant, hub: str | None, sources: str | None = "read") -> Tenant:
    for url, site in tenant.sites.items():
        site.app_role = hub if url == HUB else sources
    return tenant


@pytest.fixture()
def served(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    hub_role, source_role = getattr(request, "param", ("read", "read"))
    with SandboxServer(_grant(load_demo_tenant(), hub_role, source_role), port=0) as server:
        yield server


def _conn(server: SandboxServer, site: str = HUB) -> SiteConnection:
    from c3po_sync.m365.auth import StaticTokenProvider

    return SiteConnection.open(server.url + site, StaticTokenProvider())


def _config(tmp: Path, base_url: str) -> Path:
    jobs = tmp / "jobs"
    jobs.mkdir(exist_ok=True)
    (jobs / "nightly.yaml").write_text((ROOT / "jobs" / "nightly.yaml").read_text())
    cfg = tmp / "settings.yaml"
    cfg.write_text(
        f"tenant:\n  base_url: {base_url}\n  auth:\n    mode: sandbox\n"
        f"mappings_dir: {ROOT / 'mappings'}\nrules_file: {ROOT / 'config' / 'rules.yaml'}\n"
        f"jobs_dir: {jobs}\nstate_url: sqlite:///{tmp / 'state.db'}\n"
        f"output_dir: {tmp / 'out'}\n"
    )
    return cfg


# --- the sandbox ---------------------------------------------------------------------------------


@pytest.mark.parametrize("served", [("read", "read")], indirect=True)
def test_read_role_reads_and_is_refused_writes_as_sharepoint(served: SandboxServer) -> None:
    conn = _conn(served)
    assert conn.get_json(conn.api("Web?$select=Title"), route="web")["Title"]
    body = conn.get_json(conn.api("web/effectiveBasePermissions"), route="perm")
    assert body["EffectiveBasePermissions"]["High"] == "176"
    assert body["EffectiveBasePermissions"]["Low"] == "138612833"
    with pytest.raises(SharePointRequestError) as e:
        conn.send_once(
            "POST",
            conn.api("web/lists"),
            route="create list",
            body={"__metadata": {"type": "SP.List"}, "Title": "New", "BaseTemplate": 100},
        )
    assert e.value.status == 403
    assert e.value.code == "-2147024891, System.UnauthorizedAccessException"
    assert e.value.message == "Attempted to perform an unauthorized operation."
    with pytest.raises(SharePointRequestError, match="403"):
        conn.send_once(
            "POST",
            conn.api(list_path("C3PO Portfolio") + "/items"),
            route="add item",
            body={"Title": "x"},
        )
    assert "New" not in [lst.title for lst in served.tenant.sites[HUB].lists.values()]


@pytest.mark.parametrize("served", [("write", "read")], indirect=True)
def test_write_role_writes_items_but_cannot_create_lists_or_columns(
    served: SandboxServer,
) -> None:
    conn = _conn(served)
    rollups = list_path("Rollups")
    granted = effective_permissions(conn)
    assert has(granted, READ | WRITE) and not has(granted, MANAGE)
    assert effective_permissions(conn, "Rollups") == granted  # a list answers with its site's mask
    conn.send_once(
        "POST",
        conn.api(f"{rollups}/RootFolder/Files/add(url='a.txt',overwrite=true)"),
        route="upload",
        data=b"x",
    )
    with pytest.raises(SharePointRequestError, match="403"):
        conn.send_once(
            "POST",
            conn.api(f"{rollups}/fields"),
            route="add field",
            body={"__metadata": {"type": "SP.Field"}, "Title": "Extra", "FieldTypeKind": 2},
        )


@pytest.mark.parametrize("served", [("manage", "none")], indirect=True)
def test_manage_creates_lists_and_none_reads_nothing(served: SandboxServer) -> None:
    conn = _conn(served)
    assert has(effective_permissions(conn), READ | WRITE | MANAGE)
    conn.send_once(
        "POST",
        conn.api("web/lists"),
        route="create list",
        body={"__metadata": {"type": "SP.List"}, "Title": "Made", "BaseTemplate": 100},
    )
    source = _conn(served, "/sites/ppm-finance")
    with pytest.raises(SharePointRequestError, match="403"):
        source.send_once("GET", source.api("Web?$select=Title"), route="web")


def test_sites_without_a_role_keep_full_control() -> None:
    with SandboxServer(load_demo_tenant(), port=0) as server:
        body = _conn(server).get_json(_conn(server).api("web/effectiveBasePermissions"), route="p")
    assert body["EffectiveBasePermissions"] == {
        "__metadata": {"type": "SP.BasePermissions"},
        "High": "2147483647",
        "Low": "4294967295",
    }


def test_tenant_file_keeps_roles_and_locates_a_bad_one(tmp_path: Path) -> None:
    tenant = _grant(load_demo_tenant(), "manage")
    path = tmp_path / "t.yaml"
    tenant.save(path)
    again = Tenant.from_file(path)
    assert again.sites[HUB].app_role == "manage"
    assert again.sites["/sites/itd"].app_role == "read"
    path.write_text(path.read_text().replace("app_role: manage", "app_role: owner"))
    with pytest.raises(TenantFormatError, match=r"sites\[\d+\]\.app_role: 'owner'"):
        Tenant.from_file(path)


# --- auth test, validate --rights, and the nightly run -----------------------------------------


@pytest.mark.parametrize("served", [("read", "read")], indirect=True)
def test_read_on_the_hub_is_named_with_its_fix_and_the_night_stops_first(
    served: SandboxServer, tmp_path: Path
) -> None:
    cfg = _config(tmp_path, served.url)
    auth = CliRunner().invoke(app, ["auth", "test", "--json", "--config", str(cfg)])
    assert auth.exit_code == 3, auth.output
    rows = json.loads(auth.stdout)
    missing = [r for r in rows if r.get("status") == "missing" and "right" in r]
    assert [(r["site"], r["right"]) for r in missing] == [
        (HUB, "item writes (AddListItems, EditListItems)"),
        (HUB, "list and column creation (ManageLists)"),
        (HUB, "item writes (AddListItems, EditListItems)"),  # the Rollups library
    ]
    manage_fix = missing[1]["fix"]
    assert MANAGE_FIX in manage_fix and f"-Site {served.url}{HUB}" in manage_fix
    assert '"roles":["manage"]' in manage_fix  # the Graph PATCH
    assert all(r["status"] == "ok" for r in rows if "right" in r and r["site"] != HUB)

    valid = CliRunner().invoke(app, ["validate", "--rights", "--json", "--config", str(cfg)])
    assert valid.exit_code == 3, valid.output
    assert manage_fix in [r["fix"] for r in json.loads(valid.stdout)["rights"]]

    before = served.stats.snapshot()["requests"]
    night = CliRunner().invoke(app, ["run", "nightly", "--json", "--config", str(cfg)])
    assert night.exit_code == 5, night.output
    out = json.loads(night.stdout)
    assert out["failure"] == "hub-rights-missing"
    assert all(line in out["error"] for line in manage_fix.splitlines())  # the same fix
    sent = served.stats.snapshot()["requests"]
    new = {k: n - before.get(k, 0) for k, n in sent.items() if n != before.get(k, 0)}
    # Asked once, right before the first write (the sources were read, the rules ran), then
    # stopped: nothing created, added, changed or uploaded anywhere.
    assert new["GET web_permissions"] == 1
    writes = {"POST lists", "POST field_xml", "POST field_add", "POST view_add", "POST items",
              "MERGE item", "POST file_add", "POST item_recycle"}  # fmt: skip
    assert not writes & set(new), new
    in_batches = {f"{m} {r}" for (m, r) in served.stats.batch_operations}
    assert not writes & in_batches, in_batches
    assert "provisioning would still create list 'C3PO Portfolio'" in out["error"]
    assert "C3PO Portfolio" not in [lst.title for lst in served.tenant.sites[HUB].lists.values()]

    dry = CliRunner().invoke(app, ["run", "nightly", "--dry-run", "--json", "--config", str(cfg)])
    assert dry.exit_code == 0, dry.output  # a dry run writes nothing, so needs no write right
    planned = json.loads(dry.stdout)["planned"]
    assert any(
        "a real run would stop before its first write" in p and MANAGE_FIX in p for p in planned
    ), planned


@pytest.mark.parametrize("served", [("manage", "read")], indirect=True)
def test_with_the_right_grants_everything_passes(served: SandboxServer, tmp_path: Path) -> None:
    cfg = _config(tmp_path, served.url)
    auth = CliRunner().invoke(app, ["auth", "test", "--json", "--config", str(cfg)])
    assert auth.exit_code == 0, auth.output
    rights = [r for r in json.loads(auth.stdout) if "right" in r]
    assert {r["site"] for r in rights} == {HUB, *SOURCES}
    assert all(r["status"] == "ok" for r in rights)
    night = CliRunner().invoke(app, ["run", "nightly", "--json", "--config", str(cfg)])
    assert night.exit_code == 0, night.output
    assert json.loads(night.stdout)["uploaded_to"]
    assert "C3PO Portfolio" in [lst.title for lst in served.tenant.sites[HUB].lists.values()]


@pytest.mark.parametrize("served", [("manage", "read")], indirect=True)
def test_write_is_enough_once_the_hubs_lists_exist(served: SandboxServer, tmp_path: Path) -> None:
    """The guide's alternative: lists provisioned once, then the grant lowered to `write`."""
    cfg = _config(tmp_path, served.url)
    first = CliRunner().invoke(app, ["provision", "--config", str(cfg)])
    assert first.exit_code == 0, first.output
    served.tenant.sites[HUB].app_role = "write"
    auth = CliRunner().invoke(app, ["auth", "test", "--json", "--config", str(cfg)])
    assert auth.exit_code == 0, auth.output
    manage = next(r for r in json.loads(auth.stdout) if "ManageLists" in r.get("right", ""))
    assert manage["status"] == "ok" and "pre-created" in manage["detail"]
    night = CliRunner().invoke(app, ["run", "nightly", "--json", "--config", str(cfg)])
    assert night.exit_code == 0, night.output


def test_mail_send_is_read_from_the_graph_tokens_roles(tmp_path: Path) -> None:
    """The notify hook: a certificate app's Graph token (real msal) carries Mail.Send or not."""
    from c3po_sync.m365.auth import MsalCertificateTokenProvider
    from c3po_sync.m365.mail_right import GRAPH_RESOURCE, check_mail_send

    tls = self_signed_certificate("127.0.0.1", ip="127.0.0.1")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(tls.cert_pem)
    app_cert = self_signed_certificate("C3PO Sync")
    key, _ = app_cert.write(tmp_path, "app")
    with TokenServer(tls) as tokens:
        tokens.register_client("plain", app_cert.cert_pem)
        tokens.register_client("mailer", app_cert.cert_pem, roles=["Sites.Selected", "Mail.Send"])

        def provider(client_id: str) -> MsalCertificateTokenProvider:
            return MsalCertificateTokenProvider(
                tenant_id="city",
                client_id=client_id,
                thumbprint=app_cert.thumbprint,
                private_key_path=key,
                resource=GRAPH_RESOURCE,
                authority=tokens.authority("city"),
                verify=str(ca),
            )

        without = check_mail_send(provider("plain"), "notify")
        with_it = check_mail_send(provider("mailer"), "notify")
    assert without.status == "missing" and "Sites.Selected" in without.detail
    assert "Mail.Send" in without.fix
    assert with_it.status == "ok"


def test_a_refused_certificate_is_one_line_and_exit_4(tmp_path: Path) -> None:
    """Old key after a rotation: `auth test` says why there is no token, not 'denied' per site."""
    tls = self_signed_certificate("127.0.0.1", ip="127.0.0.1")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(tls.cert_pem)
    registered, removed = self_signed_certificate("new"), self_signed_certificate("old")
    key, _ = removed.write(tmp_path, "old")
    with TokenServer(tls) as tokens:
        tokens.register_client("c3po", registered.cert_pem)
        with SandboxServer(load_demo_tenant(), port=0, token_validator=tokens.validate) as sp:
            cfg = _config(tmp_path, sp.url)
            cfg.write_text(
                cfg.read_text().replace(
                    "    mode: sandbox\n",
                    f"    mode: certificate\n    tenant_id: city\n    client_id: c3po\n"
                    f"    thumbprint: {removed.thumbprint}\n    private_key_path: {key}\n"
                    f"    authority: {tokens.authority('city')}\n    ca_bundle: {ca}\n",
                )
            )
            result = CliRunner().invoke(app, ["auth", "test", "--config", str(cfg)])
            assert sp.stats.total == 0  # nothing was asked without a token
    assert result.exit_code == 4, result.output
    assert "AADSTS700027" in result.output and "denied" not in result.output
