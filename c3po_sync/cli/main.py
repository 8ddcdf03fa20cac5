"""The c3po-sync command line: a thin shell over the library."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from c3po_sync import __version__
from c3po_sync.cli.summary import render_result

app = typer.Typer(
    help="C3PO Sync: SharePoint project portfolios checked against the City's 2019 IT audit.",
    no_args_is_help=True,
    add_completion=False,
)
sandbox_app = typer.Typer(help="The local SharePoint sandbox (an emulator of SharePoint Online).")
app.add_typer(sandbox_app, name="sandbox")

console = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2, 3, 4

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
]
DEFAULT_CONFIG = Path("config/sandbox.yaml")


def _setup_logging(verbose: bool) -> None:
    from c3po_sync.logs import configure_logging

    configure_logging(logging.DEBUG if verbose else logging.WARNING)


def _config_errors() -> tuple[type[BaseException], ...]:
    from c3po_sync.config.errors import ConfigError
    from c3po_sync.normalize import MappingError
    from c3po_sync.rules import RulesConfigError

    return (ConfigError, MappingError, RulesConfigError)


def _fail_config(e: BaseException) -> typer.Exit:
    err.print(f"[red]configuration error:[/red] {e}")
    return typer.Exit(EXIT_CONFIG)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    _setup_logging(verbose)


@app.command()
def version() -> None:
    """Print the version.

    Example: c3po-sync version
    """
    console.print(__version__)


@app.command()
def validate(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Check settings, jobs, mappings and rules before anything runs.

    Example: c3po-sync validate --config config/sandbox.yaml
    """
    from c3po_sync.config.jobs import load_jobs
    from c3po_sync.config.settings import load_settings
    from c3po_sync.normalize import load_mappings
    from c3po_sync.rules import load_rules_config

    try:
        s = load_settings(config)
        jobs = load_jobs(s.resolve(s.jobs_dir))
        mappings = load_mappings(s.resolve(s.mappings_dir))
        load_rules_config(s.resolve(s.rules_file))
    except _config_errors() as e:
        raise _fail_config(e) from None
    console.print(
        f"[green]ok[/green]: {config} — tenant {s.tenant.base_url}, auth {s.tenant.auth.mode}, "
        f"{len(mappings)} sources mapped, jobs: {', '.join(sorted(jobs))}"
    )


@app.command()
def run(
    job: Annotated[str, typer.Argument(help="Job id from jobs/, e.g. nightly.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    dry_run: Annotated[bool, typer.Option(help="Plan the writes, write nothing.")] = False,
    today: Annotated[
        str | None, typer.Option(help="Evaluate as of this date (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run one job now against the configured tenant.

    Example: c3po-sync run nightly --config config/sandbox.yaml
    """
    from c3po_sync.pipeline.prepare import prepare_run
    from c3po_sync.wiring import run_prepared

    try:
        inputs = prepare_run(
            config, job, today=date.fromisoformat(today) if today else None, dry_run=dry_run
        )
    except _config_errors() as e:
        raise _fail_config(e) from None
    try:
        result = run_prepared(inputs)
    except Exception as e:
        err.print(f"[red]run failed:[/red] {type(e).__name__}: {e}")
        raise typer.Exit(EXIT_FAILED) from None
    _report(result, as_json)


def _report(result, as_json: bool) -> None:  # noqa: ANN001 - RunResult, imported lazily
    if as_json:
        payload = {
            "run_id": result.run_id,
            "job": result.job,
            "outcome": result.outcome,
            **result.counts(),
            "findings_by_recommendation": result.findings_by_recommendation,
            "workbook": str(result.workbook) if result.workbook else None,
            "errors": [s.error for s in result.failed_sources],
        }
        console.print_json(json.dumps(payload, default=str))
    else:
        render_result(result, console)
    if result.outcome == "partial":
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the workbook and demo state.")] = Path(
        "out/demo"
    ),
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Start the sandbox with the demo City tenant, run the nightly job once, show what happened.

    Example: c3po-sync demo
    """
    from c3po_sync.config.settings import load_settings
    from c3po_sync.pipeline.prepare import prepare_run
    from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
    from c3po_sync.sandbox.server import SandboxServer
    from c3po_sync.wiring import run_prepared

    out = out.resolve()
    shutil.rmtree(out / "state", ignore_errors=True)
    (out / "state").mkdir(parents=True, exist_ok=True)
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        os.environ["C3PO_SANDBOX_URL"] = server.url
        os.environ.setdefault("C3PO_STATE_URL", f"sqlite:///{out / 'state' / 'state.db'}")
        os.environ.setdefault("C3PO_OUTPUT_DIR", str(out))
        try:
            settings = load_settings(config)
            inputs = prepare_run(config, "nightly", settings=settings, today=DEMO_ANCHOR)
        except _config_errors() as e:
            raise _fail_config(e) from None
        console.print(
            f"sandbox: demo City tenant at {server.url}; "
            f"rules evaluated as of {DEMO_ANCHOR}, the demo tenant's anchor date"
        )
        result = run_prepared(inputs)
        state_file = out / "state" / "sandbox-tenant.yaml"
        tenant.save(state_file)
    render_result(result, console)
    console.print(f"sandbox state after the run: {state_file}")


@app.command()
def findings(
    config: ConfigOpt = DEFAULT_CONFIG,
    recommendation: Annotated[int | None, typer.Option("--rec", help="Audit rec 1-10.")] = None,
    portfolio: Annotated[str | None, typer.Option(help="Portfolio name.")] = None,
    ppm: Annotated[str | None, typer.Option(help="PPM e-mail.")] = None,
    project: Annotated[str | None, typer.Option(help="Project key.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List open findings from the state store.

    Example: c3po-sync findings --rec 7 --ppm maria.lopez@sanjoseca.gov
    """
    from c3po_sync.config.settings import load_settings
    from c3po_sync.state.store import StateStore

    try:
        s = load_settings(config)
    except _config_errors() as e:
        raise _fail_config(e) from None
    df = StateStore(s.resolved_state_url).findings(status="open")
    if recommendation is not None:
        df = df[df["recommendation"] == recommendation]
    for col, val in (("portfolio", portfolio), ("ppm", ppm), ("project_key", project)):
        if val is not None:
            df = df[df[col].fillna("").str.lower() == val.lower()]
    if as_json:
        for rec in df.to_dict("records"):
            console.print_json(json.dumps(rec, default=str))
        return
    t = Table(title=f"{len(df)} open findings")
    for col in ("recommendation", "severity", "project_key", "ppm", "message"):
        t.add_column(col)
    for r in df.itertuples():
        t.add_row(
            str(r.recommendation), str(r.severity), str(r.project_key), str(r.ppm), str(r.message)
        )
    console.print(t)


@app.command()
def runs(config: ConfigOpt = DEFAULT_CONFIG, limit: int = 20) -> None:
    """Show run history.

    Example: c3po-sync runs --limit 5
    """
    from c3po_sync.config.settings import load_settings
    from c3po_sync.state.store import StateStore

    try:
        s = load_settings(config)
    except _config_errors() as e:
        raise _fail_config(e) from None
    t = Table(title="Runs")
    for col in ("run", "job", "trigger", "started", "finished", "outcome", "error"):
        t.add_column(col)
    for r in StateStore(s.resolved_state_url).runs(limit):
        t.add_row(
            str(r["run_id"]),
            r["job"],
            r["trigger"],
            str(r["started_at"]),
            str(r["finished_at"] or ""),
            r["outcome"],
            (r["error"] or "")[:80],
        )
    console.print(t)


@app.command()
def jobs(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """List the jobs defined in jobs/ with their schedules.

    Example: c3po-sync jobs
    """
    from c3po_sync.config.jobs import load_jobs
    from c3po_sync.config.settings import load_settings

    try:
        s = load_settings(config)
        defined = load_jobs(s.resolve(s.jobs_dir))
    except _config_errors() as e:
        raise _fail_config(e) from None
    t = Table(title="Jobs")
    for col in ("job", "steps", "schedule", "time zone"):
        t.add_column(col)
    for j in defined.values():
        sched = j.schedule
        t.add_row(
            j.id,
            ", ".join(j.ordered_steps),
            sched.cron if sched else "manual",
            sched.timezone if sched else "",
        )
    console.print(t)


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
    """Serve the SharePoint sandbox until interrupted.

    Example: c3po-sync sandbox serve --port 0
    """
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
    try:
        threading.Event().wait()
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


# Commands that live in their own modules register themselves here, one line each.
# (add `from c3po_sync.cli import cmd_<name>` and `cmd_<name>.register(app)` below)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
