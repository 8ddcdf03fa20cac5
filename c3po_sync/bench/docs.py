"""The prose around the benchmark table in docs/benchmarks.md."""

from __future__ import annotations

DOC_HEAD = """# Benchmarks

`c3po-sync bench` generates a synthetic City tenant, serves it from the sandbox with a fixed
latency per request (SharePoint Online answers in roughly 100 ms), and runs the product against
it the way a deployment runs: **one sandbox and one state store for every row, in sequence** —
full sync, the rules, the first write-back, an idle incremental sync, a write-back with nothing
changed, then 1% of the items edited (through the sandbox's model, so they land in the change
log like human edits), an incremental sync, the rules and the write-back after that change, the
Excel rollup, and last the whole nightly job after another 1% change. So the idle row is a real
second run: it starts from the change tokens the full sync saved.

Each row runs in its own process, forked from a warm worker that has done the imports once, so
its CPU seconds and peak memory (max RSS of that process, Python and pandas included) are that
row's alone and its wall seconds are its work, not Python's start-up. For each row the harness
records the HTTP requests the sandbox saw, by kind (inside a `$batch`, the operations are
counted apart as "batch ops"), beside the minimum number of requests that work needs and a
**naive baseline**: the same job written with the office365 client's documented idioms
(`items.get_all()` at the default 100-row page, `root_folder.get_files(recursive=True)` to walk
each library, one `add_item()`/`update()` per changed row; see
`c3po_sync/m365/naive_baseline.py`), run against the same sandbox. Normalization and the rules
are the product's own in the baseline too, so only the SharePoint traffic differs.

Minimums are in the units measured: full sync = Σ⌈items per list ÷ 5,000⌉ pages + one read
`$batch` per site (its schema requests and change token travel in it; the operations inside it
are counted in "batch ops", and in the operations and resource-unit columns of "What a night
costs" below); idle sync = one change-log request per site; 1% change = one
change-log request per site + one page per changed list; write-back = ⌈changed rows ÷ 100⌉
`$batch` requests (provisioning the lists on the first run, and reading the hub lists to diff
against, are extra; the note gives the per-list minimum Σ⌈rows per list ÷ 100⌉ too); rollup =
one upload. The baseline has no incremental mode, so its idle and 1% figures are its full read
and its nightly is its run after a change (read all, write the changes). With
`--baseline ratio` (used when the tenant is too big to run the baseline's writes in the time
there is) the baseline runs its read phase once; its nightly figure is then that read alone, a
lower bound marked "≥".

## Result on this machine

"""

DOC_TAIL = """
## Reproduce

```
# the issue's default size (20 sites, 2,000 projects, 50,000 documents, 5,000 assets, 100 ms)
.venv/bin/c3po-sync bench --baseline ratio --json-out var/bench-full.json --out docs/benchmarks.md
# everything, baseline writes included (about twice as long at the default size)
.venv/bin/c3po-sync bench --json-out var/bench-full.json --out docs/benchmarks.md
# under a minute (2 sites, 20 projects, 60 documents, 30 assets, 20 ms)
.venv/bin/c3po-sync bench --quick --out /tmp/bench.md
# re-render this page from a saved run without re-running it
.venv/bin/c3po-sync bench --from-json var/bench-full.json --out docs/benchmarks.md
# what a night costs per size (section "What a night costs"); sizes can run apart
.venv/bin/c3po-sync bench --scales 0.5,1,2,4 --json-out var/cost.json --out var/cost.md
# the first run against SharePoint's budget: the sandbox throttles, the product paces itself
.venv/bin/c3po-sync bench --scales 1 --ru-per-minute 1200 --baseline none --json-out var/paced.json
# the section from saved runs (comma-separated): paste var/cost.md above "Reproduce"
.venv/bin/c3po-sync bench --scales 0 --from-json var/cost.json,var/paced.json --out var/cost.md
```

`--sites/--projects/--documents/--assets/--latency/--seed` set the size; `--workdir` keeps the
workspace (mappings, settings, state.db, the worker's log). The machine is shared (2 cores), so
wall and CPU figures move between runs; request counts do not. `.venv/bin/pytest -m bench
tests/bench` checks that the harness works (no timing assertions).

## Fault suite

`.venv/bin/pytest -m faults tests/faults` runs the fault matrix (10% 429 with a 0.05 s
Retry-After, 5% 503, 2% dropped connections, 2% truncated bodies, small latency; 429/503 also
inside `$batch`) over 4 seeds, and kill-anywhere over 3 SIGKILL points. The issue's full counts
are opt-in: `C3PO_FAULT_RUNS=20 C3PO_KILL_POINTS=50 .venv/bin/pytest -m faults tests/faults`.
"""

COST_HEAD = """## What a night costs (issue 16)

`c3po-sync bench --scales 0.5,1,2,4` measures the nightly job as it runs night after night at
0.5×, 1×, 2× and 4× the city size above: the first nightly run (empty state, empty hub), an idle
nightly the same day, an idle nightly the next day (the date-driven rules re-run over the stored
tables, the day's workbook is uploaded), and a nightly after 1% of the items changed. Every row
is counted on the server in three units: HTTP **requests**, **operations** (a `$batch` counts as
the operations inside it) and SharePoint **resource units** (RU) at Microsoft's published costs
(1 per single-item read or change-log read with a token, 2 per multi-item read and per write,
each operation of a `$batch` on its own; `c3po_sync/sandbox/budget.py`). The minimum of each row
is given in the same three units (first run: the pages, one read `$batch` per site, ⌈rows ÷
100⌉ write batches and one upload, provisioning not counted; idle: one change-log read per site
plus the hub's, plus the upload on a new day; 1%: that plus one read per changed list and the
changed hub rows). CPU seconds and peak memory are the row's own process's.

The **fair baseline** (`FairBaseline` in `c3po_sync/m365/naive_baseline.py`) is the same job as
a competent administrator writes it with the same client: 5,000-row pages, no folder walk,
writes in `$batch`es of 100. It writes two hub lists (portfolio and findings), the product four;
it has no incremental mode, so its nightly after a change is a full read plus the changed rows.
Its columns give its figures and baseline ÷ ours in requests, operations and RU (above 1: the
product is cheaper).

With `--ru-per-minute 1200` the sandbox throttles by resource units as SharePoint Online does
(429 + `Retry-After` once a minute's units are spent, `RateLimit-*` headers from 80% used) and
the product paces itself to the same budget (`tenant.resource_units_per_minute`); the "429s"
column counts refusals.

"""
