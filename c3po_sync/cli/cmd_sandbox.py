"""`c3po-sync sandbox`: serve the SharePoint emulator, generate synthetic tenants."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
sandbox_app = typer.Typer(help="The local SharePoint sandbox (an emulator of SharePoint Online).")


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("serve")
def sandbox_serve(
    tenant: Annotated[
        Path | None, typer.Option(help="Tenant YAML (default: the demo City).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8765,
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
) -> None:
    """Serve the SharePoint sandbox until interrupted (Ctrl-C or SIGTERM).

    Example: c3po-sync sandbox serve --port 0
    """
    import signal
    import threading

    from c3po_sync.sandbox.demo import load_demo_tenant
    from c3po_sync.sandbox.faults import FaultConfig
    from c3po_sync.sandbox.model import Tenant
    from c3po_sync.sandbox.server import SandboxServer

    t = Tenant.from_file(tenant) if tenant else load_demo_tenant()
    faults = FaultConfig(latency_s=latency, p429=p429, p503=p503, p_drop=p_drop)
    server = SandboxServer(t, host=host, port=port, faults=faults)
    server.start()
    console.print(f"SharePoint sandbox at {server.url}  (Ctrl-C to stop)")
    console.print(f"  export C3PO_SANDBOX_URL={server.url}")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
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
