"""Every command documents itself with help and an example; a command without them fails here."""

from __future__ import annotations

import typer.main
from typer.testing import CliRunner

from c3po_sync.cli.main import app

runner = CliRunner()


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        path = (*prefix, name)
        if hasattr(cmd, "commands"):
            out.extend(_commands(cmd, path))
        else:
            out.append(path)
    return out


def test_every_command_has_help_and_an_example() -> None:
    root = typer.main.get_command(app)
    assert hasattr(root, "commands")
    commands = _commands(root)
    assert {("demo",), ("run",), ("validate",), ("sandbox", "serve")} <= set(commands)
    for path in commands:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example: c3po-sync" in result.output, f"{' '.join(path)} lacks an example"


def test_validate_broken_config_exits_2(tmp_path) -> None:  # noqa: ANN001
    p = tmp_path / "s.yaml"
    p.write_text("tenant:\n  base_url: nope\n")
    result = runner.invoke(app, ["validate", "--config", str(p)])
    assert result.exit_code == 2
    assert "tenant.base_url" in result.output
