"""`c3po-sync sandbox`: serve the SharePoint emulator, generate synthetic tenants."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
DEFAULT_PORT = 8765
"""Where `sandbox serve` listens by default: config/sandbox.yaml's address, and the demo's."""
sandbox_app = typer.Typer(help="The local SharePoint sandbox (an emulator of SharePoint Online).")


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def sandbox_serve(
    tenant: Annotated[
        Path | None, typer.Option(help="Tenant YAML (default: the demo City).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="Address to bind (loopback only by default).")] = (
        "127.0.0.1"
    ),
    save_on_exit: Annotated[
        Path | None, typer.Option(help="Save the tenant state here on Ctrl-C.")
    ] = None,
    latency: Annotated[float, typer.Option(help="Seconds added to every response.")] = 0.0,
    p429: Annotated[float, typer.Option(help="Probability of a 429 with Retry-After.")] = 0.0,
    p503: Annotated[float, typer.Option(help="Probability of a 503.")] = 0.0,
    p_drop: Annotated[float, typer.Option(help="Probability of a dropped connection.")] = 0.0,
    tls_cert: Annotated[
        Path | None, typer.Option(help="Serve HTTPS with this PEM certificate (with --tls-key).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key for --tls-cert.")] = None,
    tls_self_signed: Annotated[
        bool, typer.Option(help="Serve HTTPS with a fresh self-signed certificate.")
    ] = False,
    strict_tokens: Annotated[
        bool,
        typer.Option(
            help="Accept only access tokens issued by a local HTTPS token endpoint "
            "(certificate apps, as Entra ID); otherwise any bearer token passes."
        ),
    ] = False,
    client_id: Annotated[
        str | None, typer.Option(help="App id to register with --strict-tokens.")
    ] = None,
    client_cert: Annotated[
        list[Path] | None,
        typer.Option(help="The app's PEM certificate, for --client-id (repeat: rotation)."),
    ] = None,
    ru_per_minute: Annotated[
        int | None,
        typer.Option(help="Throttle each app to this many resource units a minute (SPO: 1200)."),
    ] = None,
) -> None:
    """Serve the SharePoint sandbox until interrupted (Ctrl-C or SIGTERM).

    Example: c3po-sync sandbox serve --port 0
    """
    import signal
    import threading

    from c3po_sync.sandbox.demo import load_demo_tenant
    from c3po_sync.sandbox.faults import FaultConfig
    from c3po_sync.sandbox.model import Tenant
    from c3po_sync.sandbox.serve_options import (
        ServeOptionError,
        ServeOptions,
        build,
        loopback_warning,
    )

    warning = loopback_warning(host)
    if warning:
        typer.echo(warning, err=True)
    t = Tenant.from_file(tenant) if tenant else load_demo_tenant()
    faults = FaultConfig(latency_s=latency, p429=p429, p503=p503, p_drop=p_drop)
    opts = ServeOptions(
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_self_signed=tls_self_signed,
        strict_tokens=strict_tokens,
        client_id=client_id,
        client_cert=client_cert,
        ru_per_minute=ru_per_minute,
    )
    try:
        served = build(t, host=host, port=port, faults=faults, opts=opts)
    except ServeOptionError as exc:
        typer.echo(f"sandbox serve: {exc}", err=True)
        raise typer.Exit(2) from exc
    server = served.server
    console.print(f"SharePoint sandbox at {server.url}  (Ctrl-C to stop)")
    console.print(f"  export C3PO_SANDBOX_URL={server.url}")
    for note in served.notes:
        console.print(f"  {note}")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        served.stop()
        if save_on_exit:
            t.save(save_on_exit)
            console.print(f"state saved to {save_on_exit}")


@sandbox_app.command("generate")
def sandbox_generate(
    out: Annotated[Path, typer.Option(help="Where to write the tenant YAML.")],
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same tenant.")] = 1,
    sites: int = 4,
    projects: int = 200,
    documents_per_project: float = 8,
    assets: int = 500,
) -> None:
    """Generate a synthetic City tenant of any size.

    Example: c3po-sync sandbox generate --out var/big.yaml --sites 20 --projects 2000
    """
    from c3po_sync.sandbox.generate import generate_tenant, write_tenant

    d = generate_tenant(
        seed,
        sites=sites,
        projects=projects,
        documents_per_project=documents_per_project,
        assets=assets,
    )
    write_tenant(d, out)
    console.print(f"wrote {out}")


@sandbox_app.command("mail")
def sandbox_mail(
    url: Annotated[
        str | None,
        typer.Option(help="The sandbox's URL (default: $C3PO_SANDBOX_URL or port 8765)."),
    ] = None,
    full: Annotated[bool, typer.Option(help="Print each message's body, not only a line.")] = (
        False
    ),
) -> None:
    """List the mail (Graph sendMail) and Teams workflow posts a running sandbox received.

    Example: c3po-sync sandbox mail --full
    """
    import os

    import requests

    from c3po_sync.cli.mail_view import print_messages

    base = (url or os.environ.get("C3PO_SANDBOX_URL") or "http://127.0.0.1:8765").rstrip("/")
    try:
        r = requests.get(
            f"{base}/_sandbox/mail", headers={"Authorization": "Bearer sandbox"}, timeout=10
        )
        r.raise_for_status()
    except requests.RequestException as exc:
        typer.echo(f"sandbox mail: no sandbox answered at {base} ({type(exc).__name__})", err=True)
        raise typer.Exit(1) from exc
    print_messages(console, r.json().get("messages") or [], full=full)
