"""Job definitions (jobs/*.yaml): which pipeline steps run, and when."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from c3po_sync.config.errors import ConfigError, errors_from_validation
from c3po_sync.config.located import YamlSyntaxError, check_time_zone, line_of, read_yaml

Step = Literal["sync", "evaluate", "write_lists", "intake", "rollup", "council_report", "notify"]
STEP_ORDER: tuple[Step, ...] = (
    "sync",
    "evaluate",
    "write_lists",
    "intake",
    "rollup",
    "council_report",
    "notify",
)


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
        return check_time_zone(v)


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
    """One job file, validated; every problem in it is reported at once (ConfigErrors)."""
    try:
        raw, lines = read_yaml(path)
    except OSError as e:
        raise ConfigError(path, "", f"cannot read job file: {e.strerror or e}") from None
    except YamlSyntaxError as e:
        raise ConfigError(path, "", e.what, e.line) from None
    try:
        job = Job.model_validate(raw or {})
    except ValidationError as e:
        raise errors_from_validation(path, e, lines) from None
    if job.id != path.stem:
        raise ConfigError(
            path,
            "id",
            f"job id {job.id!r} must match the file name {path.stem!r}",
            line_of(lines, "id"),
        )
    return job


def load_jobs(directory: Path) -> dict[str, Job]:
    if not directory.is_dir():
        raise ConfigError(directory, "", "jobs directory not found")
    return {j.id: j for j in (load_job(p) for p in sorted(directory.glob("*.yaml")))}
