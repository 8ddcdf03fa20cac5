"""Job definitions (jobs/*.yaml): which pipeline steps run, and when."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from c3po_sync.config.errors import ConfigError, format_validation_error

Step = Literal["sync", "evaluate", "write_lists", "rollup"]
STEP_ORDER: tuple[Step, ...] = ("sync", "evaluate", "write_lists", "rollup")


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cron: str = Field(description="five-field crontab expression")
    timezone: str = "America/Los_Angeles"
    misfire_grace_seconds: int = Field(3600, ge=1)
    coalesce: bool = True


class Job(BaseModel):
    """A named pipeline: the steps always run in pipeline order, whatever order the file lists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    steps: tuple[Step, ...]
    schedule: Schedule | None = None

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
