"""An IT admin's install: the wheel (not an editable checkout) in a fresh virtualenv gives a
working `c3po-sync` anywhere: `--version`, `init DIR` from the package's own data, `validate`.

Nothing is downloaded: the wheel is built with --no-deps and the new environment reaches the
test environment's dependencies through a .pth line (a .pth in a folder named by a .pth is not
run, so this checkout's editable finder does not leak into it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_init_and_validate_outside_the_checkout(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("C3PO_", "PYTHON"))}
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
         tmp_path, env)  # fmt: skip
    (wheel,) = wheels.glob("c3po_sync-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     tmp_path, env).strip())  # fmt: skip
    (site / "test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q",
          str(wheel)], tmp_path, env)  # fmt: skip

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([str(py), "-c", "import c3po_sync; print(c3po_sync.__file__)"], work, env)
    assert where.startswith(str(venv)), f"imported from {where}, not the installed wheel"
    cli = str(venv / "bin" / "c3po-sync")
    assert _run([cli, "--version"], work, env).strip().startswith("c3po-sync 0.")
    out = _run([cli, "init", "deployment"], work, env)
    assert "config/" in out and "mappings/" in out
    for rel in ("config/sandbox.yaml", "config/rules.yaml", "jobs/nightly.yaml",
                "mappings/ppm-finance.yaml"):  # fmt: skip
        assert (work / "deployment" / rel).is_file(), rel
    out = _run([cli, "validate"], work / "deployment", env)
    assert out.startswith("ok:") and "7 sources" in " ".join(out.split())


def test_init_writes_the_shipped_files_and_keeps_existing_ones(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from c3po_sync.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    for folder in ("config", "jobs", "mappings"):
        shipped = sorted(p.name for p in (ROOT / folder).glob("*.yaml"))
        assert sorted(p.name for p in (tmp_path / "d" / folder).glob("*.yaml")) == shipped
    assert (tmp_path / "d/config/sandbox.yaml").read_text() == (
        ROOT / "config/sandbox.yaml"
    ).read_text()
    again = runner.invoke(app, ["init", str(tmp_path / "d")])
    assert again.exit_code == 2 and "already exist" in again.output
    assert runner.invoke(app, ["init", "--force", str(tmp_path / "d")]).exit_code == 0


def test_package_data_globs_match_files_and_the_license_is_an_spdx_string() -> None:
    """Every package-data pattern finds files (a pattern naming a missing folder ships nothing,
    silently), and `license` is a string: the TOML table form is deprecated by setuptools and
    printed a warning on every install."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert isinstance(project["project"]["license"], str)
    for package, patterns in project["tool"]["setuptools"]["package-data"].items():
        base = ROOT / package.replace(".", "/")
        for pattern in patterns:
            assert list(base.glob(pattern)), f"{package}: {pattern} matches no file"
