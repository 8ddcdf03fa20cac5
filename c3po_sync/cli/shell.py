"""The command line's shared shell: consoles, exit codes, logging set-up, one-line errors.

Every command module imports these from here, never from `c3po_sync.cli.main` (which imports
the command modules: importing it back would be a cycle).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


class _App(typer.Typer):
    """One-line errors by default: an unexpected exception prints its type and message and
    exits 4; ``--debug`` shows the whole traceback instead."""

    def __call__(self, *args: object, **kwargs: object) -> object:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as e:
            if _LOG_STATE.get("debug"):
                raise
            from c3po_sync.config.errors import ConfigError
            from c3po_sync.logs import redact

            if isinstance(e, ConfigError):
                raise SystemExit(_fail_config(e).exit_code) from None
            err.print(
                f"error: {redact(f'{type(e).__name__}: {e}')} (--debug shows the traceback)",
                markup=False,
                highlight=False,
            )
            raise SystemExit(exit_code_for_error(e)) from None


console = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2, 3, 4
# Tenant unreachable, authentication refused or hub unreachable: nothing was recorded.
EXIT_UNREACHABLE = 5

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
]
DEFAULT_CONFIG = Path("config/sandbox.yaml")


def _setup_logging(
    verbose: bool,
    log_json: bool = False,
    log_file: Path | None = None,
    *,
    level: int = logging.WARNING,
) -> None:
    from c3po_sync.logs import configure_logging

    _LOG_STATE.update(verbose=verbose, json=log_json, file=log_file)
    configure_logging(
        logging.DEBUG if verbose else level,
        json_lines=log_json,
        file=log_file,
        file_level=logging.DEBUG if verbose else logging.INFO,
    )


_LOG_STATE: dict[str, object] = {"verbose": False, "json": False, "file": None, "debug": False}


def _load_settings(config: Path):  # noqa: ANN202 - Settings, imported lazily
    """Loads settings and applies their logging section (the command line wins)."""
    from c3po_sync.config.settings import load_settings

    s = load_settings(config)
    if _LOG_STATE["file"] is None and (s.logging.file or s.logging.format == "json"):
        _setup_logging(
            bool(_LOG_STATE["verbose"]),
            bool(_LOG_STATE["json"]) or s.logging.format == "json",
            s.resolve(s.logging.file) if s.logging.file else None,
        )
    return s


def _config_errors() -> tuple[type[BaseException], ...]:
    """The located configuration error; mappings' and rules' errors are kinds of it."""
    from c3po_sync.config.errors import ConfigError

    return (ConfigError,)


def exit_code_for_error(e: BaseException) -> int:
    """The documented exit code (docs/admin-guide.md, "Exit codes") for an error that ends a
    command: the one place errors become exit codes."""
    from c3po_sync.config.errors import ConfigError
    from c3po_sync.m365.errors import AuthenticationError
    from c3po_sync.pipeline.failures import RunLevelError

    if isinstance(e, ConfigError):
        return EXIT_CONFIG
    if isinstance(e, RunLevelError | AuthenticationError):
        return EXIT_UNREACHABLE
    return EXIT_FAILED


def _print_json(value: object) -> None:
    """Every JSON output goes through the one masking function (logs.redact)."""
    from c3po_sync.logs import redact

    console.print_json(redact(json.dumps(value, default=str)))


def _fail_config(e: BaseException | str) -> typer.Exit:
    from c3po_sync.logs import redact

    err.print(f"[red]configuration error:[/red] {redact(str(e))}", markup=True, highlight=False)
    return typer.Exit(exit_code_for_error(e) if isinstance(e, BaseException) else EXIT_CONFIG)
