"""Run history: every run recorded when it starts and closed when it ends, or marked died."""

from __future__ import annotations

import json
import logging
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from c3po_sync.errors import C3POError
from c3po_sync.state import tables as t
from c3po_sync.state.liveness import process_is_gone, this_process

logger = logging.getLogger("c3po_sync.state.store")

# "died": the process running it ended without recording an end (killed, power loss); set by
# the next run to start (RunsMixin.mark_dead_runs).
OUTCOMES = ("running", "ok", "partial", "failed", "interrupted", "died")
HOLDER = "_process"  # key in a running run's counts: host:pid:run of the process running it


class RunNotFoundError(C3POError, LookupError):
    """No run with that id; the message carries the id."""


def _now() -> datetime:
    return datetime.now(UTC)


class RunsMixin:
    """The ``runs`` table; mixed into ``StateStore``, which provides the transactions."""

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # StateStore's

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # StateStore's

    def _where(self) -> str:
        raise NotImplementedError  # StateStore's

    def start_run(self, job: str, trigger: str) -> int:
        """Records a run as ``running`` (with the process running it) and returns its id."""
        with self._write() as conn:
            res = conn.execute(
                t.runs.insert().values(
                    job=job,
                    trigger=trigger,
                    started_at=_now(),
                    outcome="running",
                    counts=json.dumps({HOLDER: this_process()}),
                )
            )
            (run_id,) = res.inserted_primary_key or (None,)
        if run_id is None:  # an INSERT always returns its key; says so if a driver does not
            raise LookupError("the state store returned no id for the new run")
        run_id = int(run_id)
        logger.info("run %d started: job=%s trigger=%s", run_id, job, trigger)
        return run_id

    def finish_run(
        self,
        run_id: int,
        outcome: str,
        counts: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Closes a run; calling it again overwrites the outcome (a retried finish is harmless)."""
        if outcome not in OUTCOMES[1:]:
            raise ValueError(f"run {run_id}: outcome {outcome!r} not in {OUTCOMES[1:]}")
        with self._write() as conn:
            res = conn.execute(
                t.runs.update()
                .where(t.runs.c.run_id == run_id)
                .values(
                    finished_at=_now(),
                    outcome=outcome,
                    counts=json.dumps(counts or {}, default=str),
                    error=error,
                )
            )
            if res.rowcount == 0:
                raise RunNotFoundError(f"no run with id {run_id} in {self._where()}")
        logger.info("run %d finished: %s", run_id, outcome)

    def mark_dead_runs(self) -> list[int]:
        """Marks ``died`` every run still ``running`` whose process is gone; returns their ids.

        Only a process on this host that no longer exists counts as gone (state.liveness): a
        run of a live process, or of another host, stays ``running``, so a run in progress
        elsewhere is never called dead. A run recorded without its process is left alone.
        """
        with self._read() as conn:
            rows = conn.execute(
                select(t.runs.c.run_id, t.runs.c.counts).where(t.runs.c.outcome == "running")
            ).all()
        dead = []
        for run_id, counts in rows:
            holder = (json.loads(counts) if counts else {}).get(HOLDER)
            if holder and process_is_gone(str(holder)):
                dead.append((int(run_id), str(holder)))
        for run_id, holder in dead:
            with self._write() as conn:
                conn.execute(
                    t.runs.update()
                    .where(t.runs.c.run_id == run_id, t.runs.c.outcome == "running")
                    .values(
                        outcome="died",
                        finished_at=_now(),
                        error=f"process {holder} ended without finishing the run "
                        "(killed or power loss); found when the next run started",
                    )
                )
            logger.warning("run %d marked died: process %s is gone", run_id, holder)
        return [r for r, _ in dead]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most recent runs, newest first, with counts decoded."""
        with self._read() as conn:
            rows = conn.execute(select(t.runs).order_by(t.runs.c.run_id.desc()).limit(limit))
            out = [dict(r._mapping) for r in rows]
        for r in out:
            r["counts"] = json.loads(r["counts"]) if r["counts"] else {}
        return out

    def get_run(self, run_id: int) -> dict[str, Any]:
        with self._read() as conn:
            row = conn.execute(select(t.runs).where(t.runs.c.run_id == run_id)).first()
        if row is None:
            raise RunNotFoundError(f"no run with id {run_id} in {self._where()}")
        out = dict(row._mapping)
        out["counts"] = json.loads(out["counts"]) if out["counts"] else {}
        return out
