"""The rights table `auth test` and `validate --rights` print, with each missing right's fix."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from c3po_sync.logs import redact


def gather_rights(settings: Any, mappings: list[Any], tokens: Any = None) -> list[Any]:
    """Every right the nights need (m365.night_rights), over one connection per site."""
    from c3po_sync.access_check import rights_checks
    from c3po_sync.m365.http import SiteConnection
    from c3po_sync.wiring import token_provider

    tokens = tokens or token_provider(settings)
    conns: dict[str, SiteConnection] = {}

    def connect(site: str) -> SiteConnection:
        if site not in conns:
            conns[site] = SiteConnection.open(
                settings.tenant.base_url + site, tokens, verify_tls=settings.tenant.verify_tls
            )
        return conns[site]

    return rights_checks(settings, [m.ref.site for m in mappings], connect)


def rights_rows(checks: list[Any]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]


def render_rights(console: Console, checks: list[Any]) -> None:
    """A table of rights, then one `fix:` paragraph per missing right."""
    t = Table(title="Rights the nightly job needs (asked through EffectiveBasePermissions)")
    for col in ("site", "list", "right", "status", "detail"):
        t.add_column(col, overflow="fold")
    colors = {"ok": "green", "missing": "red", "unknown": "yellow"}
    for c in checks:
        k = colors[c.status]
        t.add_row(c.site, c.target, c.right, f"[{k}]{c.status}[/{k}]", redact(c.detail))
    console.print(t)
    for c in checks:
        if c.status == "missing":
            where = c.site if c.target == "(site)" else f"{c.site} library {c.target!r}"
            fix = redact(c.fix).replace("\n", "\n       ")
            console.print(f"missing on {where}: {c.right}\n  fix: {fix}", highlight=False)


def rights_missing(checks: list[Any]) -> bool:
    return any(c.status != "ok" for c in checks)


def validate_rights(config: Any, *, as_json: bool, report: dict[str, Any]) -> None:
    """`validate --rights`: after a clean validation, the same rights check as `auth test`."""
    import typer

    from c3po_sync.cli.shell import (
        EXIT_FAILED,
        EXIT_PARTIAL,
        _config_errors,
        _fail_config,
        _load_settings,
        _print_json,
    )
    from c3po_sync.m365.errors import TokenError
    from c3po_sync.normalize import load_mappings

    out = Console()
    try:
        s = _load_settings(config)
        mappings = load_mappings(s.resolve(s.mappings_dir))
    except _config_errors() as e:
        raise _fail_config(e) from None
    from c3po_sync.wiring import token_provider

    try:
        tokens = token_provider(s)
        tokens()  # a refused certificate is one clear line, not a failure per site
        checks = gather_rights(s, mappings, tokens)
    except TokenError as e:
        Console(stderr=True).print(f"identity: no token: {redact(str(e))}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        _print_json({**report, "rights": rights_rows(checks)})
    else:
        render_rights(out, checks)
    if rights_missing(checks):
        raise typer.Exit(EXIT_PARTIAL)
