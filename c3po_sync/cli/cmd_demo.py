"""`c3po-sync demo`: the nightly job once on the embedded demo City tenant.

The demo leaves a deployment the other commands read by default: it runs with the settings
file's own state database and output folder (config/sandbox.yaml: `var/state.db`, `out/`) and
saves the sandbox tenant beside the state database (`var/sandbox-tenant.yaml`), so
`findings`, `runs` and `deltas` show the demo's run, and `sandbox serve --tenant
var/sandbox-tenant.yaml` serves the very hub those runs wrote to (README, "Using it").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.engine import make_url

from c3po_sync.cli.cmd_sandbox import DEFAULT_PORT
from c3po_sync.private_files import private_dir

if TYPE_CHECKING:
    from c3po_sync.sandbox.server import SandboxServer

TENANT_FILE = "sandbox-tenant.yaml"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _fresh_state(db: Path) -> None:
    """Each demo is run 1 on a fresh demo tenant, so the previous demo's state goes too:
    a state store remembering rows the new sandbox's hub never had would mislead."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def start_sandbox(tenant: Any, port: int) -> tuple[SandboxServer, str | None]:
    """The demo's sandbox on ``port`` (that of `sandbox serve`), or on a free port when it is
    taken, with a note saying so.

    The run writes the sandbox's address into every link it makes (digests' "Fix it here",
    findings' source_url, the workbook's hyperlinks), and the sandbox stops with the demo: on
    `sandbox serve`'s port those links work again once the README serves the saved tenant;
    on a random one they never would.
    """
    from c3po_sync.sandbox.server import SandboxServer

    try:
        return SandboxServer(tenant, port=port), None
    except OSError as exc:
        if port == 0:
            raise
        server = SandboxServer(tenant, port=0)
        return server, (
            f"note: port {port} is in use ({exc.strerror}), so the demo's sandbox ran on port "
            f"{server.port} and its links point there; serve the saved tenant with "
            f"`sandbox serve --port {server.port}` for them to open"
        )


def demo(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the workbook, the state database and the saved tenant "
            "(default: the settings file's state_url and output_dir)."
        ),
    ] = None,
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
    ] = Path("config/sandbox.yaml"),
    port: Annotated[
        int,
        typer.Option(
            help="Port for the sandbox, the one the run's links name (default: `sandbox serve`'s, "
            "so they open once it serves the saved tenant; a free one when taken; 0: any)."
        ),
    ] = DEFAULT_PORT,
) -> None:
    """Start the sandbox with the demo City tenant, run the nightly job once, show what happened.

    Leaves a deployment the other commands use: the state database and workbook where the
    settings file says (var/state.db and out/ for config/sandbox.yaml) and the sandbox tenant
    as it stands after the run (var/sandbox-tenant.yaml, for `sandbox serve --tenant`).

    Example: c3po-sync demo
    """
    from c3po_sync.cli.progress import StepProgress
    from c3po_sync.cli.shell import _config_errors, _fail_config, console, err
    from c3po_sync.cli.summary import render_result, shown_path
    from c3po_sync.config.settings import load_settings
    from c3po_sync.pipeline.prepare import prepare_run
    from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
    from c3po_sync.wiring import run_prepared

    if out is not None:
        out = out.resolve()
        os.environ["C3PO_STATE_URL"] = f"sqlite:///{out / 'state' / 'state.db'}"
        os.environ["C3PO_OUTPUT_DIR"] = str(out)
    tenant = load_demo_tenant()
    sandbox, note = start_sandbox(tenant, port)
    if note:
        console.print(note)
    with sandbox as server:
        os.environ["C3PO_SANDBOX_URL"] = server.url
        try:
            settings = load_settings(config)
            db = sqlite_file(settings.resolved_state_url)
            if db is None:
                raise _fail_config(
                    f"{config}: state_url: the demo starts from an empty SQLite state "
                    "database; point state_url at a file (e.g. sqlite:///../var/state.db)"
                )
            _fresh_state(db)
            inputs = prepare_run(config, "nightly", settings=settings, today=DEMO_ANCHOR)
        except _config_errors() as e:
            raise _fail_config(e) from None
        console.print(
            f"sandbox: demo City tenant at {server.url}; "
            f"rules evaluated as of {DEMO_ANCHOR}, the demo tenant's anchor date"
        )
        with StepProgress(err, steps=inputs.job.ordered_steps):
            result = run_prepared(inputs)
        state_file = private_dir(db.parent) / TENANT_FILE
        tenant.save(state_file)
    render_result(result, console)
    from c3po_sync.cli.digest_preview import print_digest_preview

    print_digest_preview(console, inputs)
    console.print(f"state database: {shown_path(db)}")
    console.print(f"sandbox tenant after the run: {shown_path(state_file)}")
    console.print(
        f"links above and in the workbook open once `sandbox serve --tenant "
        f"{shown_path(state_file)}` serves it at {server.url}"
        + ("" if server.port == DEFAULT_PORT else f" (add --port {server.port})")
    )
