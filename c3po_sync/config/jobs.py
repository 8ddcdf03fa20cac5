"""Job definitions (jobs/*.yaml): which pipeline steps run, and when."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from c3po_sync.config.errors import ConfigError, format_validation_error

Step = Literal["sync", "evaluate", "write_lists", "rollup", "council_report"]
STEP_ORDER: tuple[Step, ...] = ("sync", "evaluate", "write_lists", "rollup", "council_report")


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cron: str = Field(description="five-field crontab expression")
    timezone: str = "America/Los_Angeles"
    misfire_grace_seconds: int = Field(3600, ge=1)
    coalesce: bool = True

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        from c3po_sync.scheduler.cron import crontab_trigger

        try:
            crontab_trigger(v, "UTC")
        except ValueError as e:
            raise ValueError(
                f"{v!r} is not a crontab expression ({e}); "
                "expected 5 fields: minute hour day month weekday, e.g. '0 2 * * *'"
            ) from None
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not an IANA time zone, e.g. America/Los_Angeles") from None
        return v


class Job(BaseModel):
    """A named pipeline: the steps always run in pipeline order, whatever order the file lists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    steps: tuple[Step, ...]
    schedule: Schedule | None = None
    # The sync step also reads every source in full and reports what the incremental reads
    # had missed (sources/reconcile.py); the weekly reconcile job sets it.
    reconcile: bool = False

    @property
    def ordered_steps(self) -> list[Step]:
        return [s for s in STEP_ORDER if s in self.steps]


def load_job(path: Path) -> Job:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(path, "", f"cannot read job file: {e}") from e
    try:
        job = Job.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(path, *format_validation_error(e)) from None
    if job.id != path.stem:
        raise ConfigError(path, "id", f"job id {job.id!r} must match the file name {path.stem!r}")
    return job


def load_jobs(directory: Path) -> dict[str, Job]:
    if not directory.is_dir():
        raise ConfigError(directory, "", "jobs directory not found")
    return {j.id: j for j in (load_job(p) for p in sorted(directory.glob("*.yaml")))}
