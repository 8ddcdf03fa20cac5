"""`c3po-sync init DIR`: a starter deployment written from the package's own data.

An installed package (`pip install c3po-sync`, not a checkout) carries its default settings,
jobs, mappings and rules in ``c3po_sync/defaults`` (symlinks to the checkout's `config/`,
`jobs/` and `mappings/`, so those stay the one source); `init` copies them into a folder the
admin then edits, and every other command finds them there as `config/sandbox.yaml`.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Annotated

import typer

FOLDERS = ("config", "jobs", "mappings")
EXIT_CONFIG = 2


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def shipped_files() -> list[tuple[str, Traversable]]:
    """(relative path, resource) of every default file, in a stable order."""
    root = resources.files("c3po_sync") / "defaults"
    out: list[tuple[str, Traversable]] = []
    for folder in FOLDERS:
        for item in sorted((root / folder).iterdir(), key=lambda t: t.name):
            if item.is_file() and item.name.endswith(".yaml"):
                out.append((f"{folder}/{item.name}", item))
    return out


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new deployment.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that already exist.")
    ] = False,
) -> None:
    """Write a starter deployment (settings, jobs, mappings, rules) into DIRECTORY.

    The settings file config/sandbox.yaml points at the local sandbox; copy it (e.g. to
    config/city.yaml) and set tenant.base_url and auth for a real tenant
    (docs/admin-guide.md). Existing files are kept unless --force.

    Example: c3po-sync init /srv/c3po && cd /srv/c3po && c3po-sync validate
    """
    from c3po_sync.cli.shell import console, err

    files = shipped_files()
    if not files:
        err.print("[red]this installation carries no default configuration[/red]")
        raise typer.Exit(EXIT_CONFIG)
    existing = [rel for rel, _ in files if (directory / rel).exists()]
    if existing and not force:
        err.print(
            f"not written: {len(existing)} file(s) already exist in {directory} "
            f"({', '.join(existing[:3])}{', …' if len(existing) > 3 else ''}); "
            "--force overwrites them",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(EXIT_CONFIG)
    for rel, item in files:
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.read_bytes())
    console.print(f"wrote {len(files)} files to {directory}:", highlight=False)
    for folder in FOLDERS:
        names = [rel.split("/", 1)[1] for rel, _ in files if rel.startswith(folder + "/")]
        console.print(f"  {folder}/: {', '.join(names)}", highlight=False)
    console.print(
        f"next: cd {directory} && c3po-sync validate   "
        "(then `c3po-sync sandbox serve &` and `c3po-sync run nightly`, or edit "
        "config/sandbox.yaml for a real tenant: docs/admin-guide.md)",
        highlight=False,
    )
