"""Two scheduler processes, each with its own settings and state folder, sharing one
PostgreSQL job store and lock: every fire time of a job runs exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
JOB = (
    "id: tick\nsteps: [sync]\nschedule:\n  cron: '* * * * *'\n  timezone: UTC\n"
    "  misfire_grace_seconds: 1\n  coalesce: true\n"
)


def _start(tmp: Path, name: str, url: str, fires: Path) -> tuple[subprocess.Popen, Path]:
    home = tmp / name
    (home / "jobs").mkdir(parents=True)
    (home / "jobs" / "tick.yaml").write_text(JOB)
    cfg = home / "settings.yaml"
    cfg.write_text(
        "tenant:\n  base_url: http://127.0.0.1:9\n  auth:\n    mode: sandbox\n"
        f"jobs_dir: jobs\nstate_url: {url}\noutput_dir: out\n"
    )
    env = {**os.environ, "C3PO_TEST_FIRES": str(fires), "PYTHONPATH": str(HERE)}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "one_scheduler.py"), str(cfg)],
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, cfg.resolve()


def test_two_schedulers_sharing_postgresql_run_each_fire_time_once(tmp_path: Path, pg_url):
    fires = tmp_path / "fires.txt"
    fires.touch()
    procs = []
    try:
        # Both at once, on an empty database: both create the shared tables.
        procs = [_start(tmp_path, name, pg_url, fires) for name in ("a", "b")]
        for proc, _ in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        start = len(fires.read_text().splitlines())
        times = Path(f"{fires}.times")
        times.touch()
        first = len(times.read_text().splitlines())
        # Wait for fires, not for a time: a loaded machine only makes this take longer.
        deadline = time.monotonic() + 120
        while len(times.read_text().splitlines()) - first < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for proc, _ in procs:
            proc.send_signal(signal.SIGTERM)
        for proc, _ in procs:
            proc.wait(timeout=60)
    # Judged on the scheduled fire times each scheduler submitted, not on the clock of the
    # runs: a loaded machine may run two fire times in the same second, never one twice.
    fired = Counter(ln.split()[0] for ln in times.read_text().splitlines()[first:])
    assert max(fired.values()) == 1, fired  # no fire time ran twice
    assert len(fired) >= 3, fired
    lines = [ln.split() for ln in fires.read_text().splitlines()][start:]
    own = {str(p.pid): str(cfg) for p, cfg in procs}
    assert all(cfg == own[pid] for _, pid, cfg in lines)  # each ran with its own settings
