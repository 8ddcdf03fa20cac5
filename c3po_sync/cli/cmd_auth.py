"""`c3po-sync auth`: check the configured identity's reach, or sign an admin in by device code."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from c3po_sync.logs import redact

EXIT_OK, EXIT_CONFIG, EXIT_PARTIAL, EXIT_FAILED = 0, 2, 3, 4
console = Console()
err = Console(stderr=True)
auth_app = typer.Typer(help="Check or set up the identity C3PO Sync uses for SharePoint.")


@dataclass
class Reach:
    """One site or list the identity must reach, and whether it does."""

    site: str
    target: str
    status: str  # ok | missing | denied | error
    detail: str = ""


def _probe(conn: Any, site: str, target: str, path: str) -> Reach:
    from c3po_sync.m365.errors import M365Error, SharePointRequestError

    try:
        conn.send_once("GET", conn.api(path), route="auth-test")
    except SharePointRequestError as e:
        if e.status == 404:
            return Reach(site, target, "missing", e.message or "not found")
        if e.status in (401, 403):
            return Reach(site, target, "denied", f"HTTP {e.status}: {e.message}")
        return Reach(site, target, "error", str(e))
    except (M365Error, OSError, ValueError) as e:
        return Reach(site, target, "error", f"{type(e).__name__}: {e}")
    return Reach(site, target, "ok")


def check_reach(settings: Any, mappings: list[Any]) -> list[Reach]:
    """GET the web of every mapped site and the hub, each mapped list, and the hub's lists."""
    from c3po_sync.m365.http import SiteConnection, list_path
    from c3po_sync.sinks.hub_lists import HUB_LISTS
    from c3po_sync.wiring import token_provider

    tokens = token_provider(settings)
    targets: dict[str, list[str]] = {}
    for m in mappings:
        targets.setdefault(m.ref.site, []).append(m.ref.list_title)
    hub = targets.setdefault(settings.hub_site, [])
    hub += [spec.title for spec in HUB_LISTS] + [settings.rollups_library]
    out: list[Reach] = []
    for site, lists in targets.items():
        conn = SiteConnection.open(
            settings.tenant.base_url + site, tokens, verify_tls=settings.tenant.verify_tls
        )
        web = _probe(conn, site, "(site)", "Web?$select=Title")
        out.append(web)
        if web.status != "ok":
            continue
        for title in dict.fromkeys(lists):
            r = _probe(conn, site, title, list_path(title) + "?$select=Title,ItemCount")
            if r.status == "missing" and site == settings.hub_site:
                r.detail = "created on the first run (needs the 'write' role on the hub)"
            out.append(r)
    return out


def register(app: typer.Typer) -> None:
    app.add_typer(auth_app, name="auth")


@auth_app.command("test")
def auth_test(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
    ] = Path("config/sandbox.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check the configured identity reaches every mapped site and list, and the hub's lists.

    Exit 0 if all are reachable, 3 if some are missing or denied, 4 if no token at all.

    Example: c3po-sync auth test --config config/city.yaml
    """
    from c3po_sync.cli.shell import _config_errors, _fail_config, _load_settings
    from c3po_sync.m365.errors import TokenError
    from c3po_sync.normalize import load_mappings

    try:
        s = _load_settings(config)
        mappings = load_mappings(s.resolve(s.mappings_dir))
    except _config_errors() as e:
        raise _fail_config(e) from None
    try:
        results = check_reach(s, mappings)
    except TokenError as e:
        err.print(f"[red]identity: no token:[/red] {redact(str(e))}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    hub_missing_ok = {
        (r.site, r.target) for r in results if r.status == "missing" and r.site == s.hub_site
    }
    bad = [r for r in results if r.status != "ok" and (r.site, r.target) not in hub_missing_ok]
    if as_json:
        console.print_json(redact(json.dumps([asdict(r) for r in results])))
    else:
        t = Table(
            title=f"Reach of the identity ({s.tenant.auth.mode}) on {redact(s.tenant.base_url)}"
        )
        for col in ("site", "list", "status", "detail"):
            t.add_column(col, overflow="fold")
        colors = {"ok": "green", "missing": "yellow", "denied": "red", "error": "red"}
        for r in results:
            c = colors[r.status]
            t.add_row(r.site, r.target, f"[{c}]{r.status}[/{c}]", redact(r.detail))
        console.print(t)
        if bad:
            console.print(
                f"{len(bad)} site(s)/list(s) not reachable: grant Sites.Selected on the site "
                "(docs/admin-guide.md, 'Grant Sites.Selected') or fix the mapping."
            )
    if bad:
        raise typer.Exit(EXIT_PARTIAL)


@auth_app.command("login")
def auth_login(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Settings file with certificate auth.")
    ] = Path("config/sandbox.yaml"),
    device_code: Annotated[
        bool, typer.Option("--device-code", help="Sign in with a code shown here.")
    ] = True,
) -> None:
    """Check that an admin can sign in by device code to the configured app and authority.

    Uses tenant.auth.client_id and the authority of the settings. No token is stored: every
    command, by hand or scheduled, uses the certificate.

    Example: c3po-sync auth login --device-code --config config/city.yaml
    """
    from c3po_sync.cli.shell import _config_errors, _fail_config, _load_settings
    from c3po_sync.config.settings import CertificateAuth
    from c3po_sync.m365.auth import device_code_login
    from c3po_sync.m365.errors import TokenError

    try:
        s = _load_settings(config)
    except _config_errors() as e:
        raise _fail_config(e) from None
    auth = s.tenant.auth
    if not device_code or not isinstance(auth, CertificateAuth):
        raise _fail_config(
            f"{config}: tenant.auth: device-code sign-in needs mode: certificate "
            "(its client_id and authority)"
        )
    try:
        result = device_code_login(
            client_id=auth.client_id,
            authority=auth.resolved_authority,
            scopes=[f"{s.tenant.base_url}/AllSites.Read"],
            show=lambda msg: console.print(msg, highlight=False),
            verify=str(s.resolve(auth.ca_bundle)) if auth.ca_bundle else s.tenant.verify_tls,
            instance_discovery=auth.instance_discovery,
        )
    except TokenError as e:
        err.print(f"[red]sign-in failed:[/red] {redact(str(e))}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    who = result.get("id_token_claims", {}).get("preferred_username", "the admin")
    console.print(f"[green]signed in[/green] as {who}")
