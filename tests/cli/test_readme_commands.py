"""A newcomer's first hour: the README's "Using it" block, replayed in order after a demo.

The block is parsed from README.md itself, so a command that stops working, or a README that
drifts from the code, fails here. Each command runs against a copy of the shipped deployment
(config/, jobs/, mappings/) with the sandbox the block itself starts.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ".venv/bin/c3po-sync"


def readme_commands(readme: Path = ROOT / "README.md") -> list[list[str]]:
    """The commands of the first ```bash block under "## Using it", as argument lists."""
    section = readme.read_text(encoding="utf-8").split("## Using it", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "README.md: no ```bash block under '## Using it'"
    commands = [shlex.split(line, comments=True) for line in match.group(1).splitlines()]
    return [c for c in commands if c]


def _console_script() -> Path:
    script = Path(sys.executable).parent / "c3po-sync"
    if not script.exists():
        pytest.skip(f"{script} not installed (make test installs it)")
    return script


def _start_sandbox(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`sandbox serve … &` on a free port (the test must not depend on 8765 being free)."""
    if "--port" not in args:
        args = [*args, "--port", "0"]
    proc = subprocess.Popen(
        [str(_console_script()), *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if m := re.search(r"(http://127\.0\.0\.1:\d+)", line):
            return proc, m.group(1)
    raise AssertionError(f"sandbox serve printed no URL (exit {proc.wait()})")


def _schedule_runs_until_sigterm(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.Popen(
        [str(_console_script()), *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "scheduler running" in line:
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    out = "".join(seen) + rest
    assert proc.returncode == 0, out
    return out


@pytest.mark.slow
def test_readme_using_it_block_works_in_order_after_the_demo(
    deployment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = deployment
    runner = CliRunner()
    demo = runner.invoke(app, ["demo"])  # what `make demo` runs
    assert demo.exit_code == 0, demo.output
    assert "WARNING" not in demo.output and "Warning" not in demo.output, demo.output
    assert (tmp_path / "var" / "state.db").is_file()
    assert (tmp_path / "var" / "sandbox-tenant.yaml").is_file()
    for folder in ("var", "out"):  # created owner-only: state, findings and workbooks
        assert (tmp_path / folder).stat().st_mode & 0o077 == 0, folder

    background: list[subprocess.Popen] = []
    outputs: dict[str, str] = {}
    try:
        for command in readme_commands():
            assert command[0] == PROGRAM, f"README command not run through {PROGRAM}: {command}"
            args, line = command[1:], shlex.join(command)
            if args[-1] == "&":
                assert args[:2] == ["sandbox", "serve"], f"unexpected background command: {line}"
                proc, url = _start_sandbox(args[:-1], tmp_path, dict(os.environ))
                background.append(proc)
                monkeypatch.setenv("C3PO_SANDBOX_URL", url)
                continue
            if args[0] == "schedule":
                outputs[line] = _schedule_runs_until_sigterm(args, tmp_path, dict(os.environ))
                continue
            result = runner.invoke(app, args)
            outputs[line] = result.output
            assert result.exit_code == 0, f"{line} (exit {result.exit_code}):\n{result.output}"
            assert "Traceback" not in result.output, line
    finally:
        for proc in background:
            proc.terminate()
            proc.wait(timeout=30)
    # words as said, whatever the terminal width wrapped (a long tmp path wraps mid-sentence)
    by_verb = {shlex.split(k)[1]: " ".join(v.split()) for k, v in outputs.items()}
    assert "open finding" in outputs[f"{PROGRAM} findings --rec 7"]
    csv_lines = outputs[f"{PROGRAM} findings --status all --csv"].splitlines()
    assert csv_lines[0].startswith("finding_id,") and len(csv_lines) > 1
    assert "Compliance matrix" in (tmp_path / "out" / "audit.html").read_text(encoding="utf-8")
    assert "nightly" in by_verb["runs"]
    assert "no run before 2026-09-01" in by_verb["deltas"]
    assert "showing what changed from run 1 to run 2" in by_verb["deltas"]


def test_the_readme_block_parses_and_names_only_real_commands() -> None:
    """Fast guard: every command in the block is one the CLI has (no typo survives a commit)."""
    commands = readme_commands()
    assert commands and all(c[0] == PROGRAM for c in commands)
    runner = CliRunner()
    for c in commands:
        args = [a for a in c[1:] if a != "&"]
        verb = args[:2] if args[0] == "sandbox" else args[:1]
        result = runner.invoke(app, [*verb, "--help"])
        assert result.exit_code == 0, f"{shlex.join(c)}: {result.output}"


def test_the_readme_jobs_paragraph_names_every_shipped_job() -> None:
    """`validate`, `jobs` and `schedule` list every jobs/*.yaml; the README's "Jobs" paragraph
    says what each one is for, so none of them (it left out `reconcile`) is a surprise."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = text.split("Jobs (`jobs/`):", 1)[1].split("\n\n", 1)[0]
    for job in sorted(p.stem for p in (ROOT / "jobs").glob("*.yaml")):
        assert f"`{job}`" in paragraph, f"README's Jobs paragraph does not name `{job}`"
