"""The prose around the benchmark table in docs/benchmarks.md."""

from __future__ import annotations

DOC_HEAD = """# Benchmarks

`c3po-sync bench` generates a synthetic City tenant, serves it from the sandbox with a fixed
latency per request (SharePoint Online answers in roughly 100 ms), and measures each row in its
own process: the HTTP requests the sandbox saw by kind, wall and CPU seconds, and peak memory
(max RSS of that process, Python and pandas included). Beside each row it gives the minimum
number of requests that work needs and a **naive baseline**: the same job written with the
office365 client's documented idioms (`items.get_all()` at the default 100-row page, a
files/folders walk per library folder, one `add_item()`/`update()` per changed row; see
`c3po_sync/m365/naive_baseline.py`), run against the same sandbox.

Minimums: full sync = Σ⌈items per list ÷ 5,000⌉ pages + one schema request per list; idle
sync = one change-log request per site; 1% change = one change-log request per site + one page
per changed list; write-back = ⌈changed rows ÷ 100⌉ `$batch` requests (provisioning the lists on
the first run is extra); rollup = one upload. The baseline has no incremental mode, so its idle
figure is its full read; its nightly is its run after a change (read all, write changes).

## Result on this machine

"""

DOC_TAIL = """
## Reproduce

```
.venv/bin/c3po-sync bench --out docs/benchmarks.md            # default size, 100 ms latency
.venv/bin/c3po-sync bench --quick --out /tmp/bench.md         # under a minute
.venv/bin/c3po-sync bench --sites 20 --projects 2000 --documents 50000 --assets 5000 \\
    --latency 0.1 --json-out /tmp/bench.json
```

The machine is shared (2 cores), so wall and CPU figures move between runs; request counts do
not. `.venv/bin/pytest -m bench` checks that the harness works (no timing assertions).

## Fault suite

`.venv/bin/pytest -m faults tests/faults` runs the fault matrix (10% 429 with a 0.05 s
Retry-After, 5% 503, 2% dropped connections, 2% truncated bodies, small latency; 429/503 also
inside `$batch`) over 4 seeds, and kill-anywhere over 3 SIGKILL points. The issue's full counts
are opt-in: `C3PO_FAULT_RUNS=20 C3PO_KILL_POINTS=50 .venv/bin/pytest -m faults tests/faults`.
"""
