"""Configuration errors: always located (file and key) and always raised before any request."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class ConfigError(Exception):
    """A settings, job, mapping or rules file is wrong; says which file, which key and why."""

    def __init__(self, file: Path | str, key: str, problem: str) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {problem}")


def format_validation_error(e: ValidationError) -> tuple[str, str]:
    """The first pydantic error as (dotted key, message); the rest are summarised by count."""
    errors = e.errors()
    first = errors[0]
    key = ".".join(str(p) for p in first["loc"])
    msg = first["msg"]
    if first.get("type") == "extra_forbidden":
        msg = "unknown key (check the spelling against docs/configuration.md)"
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem(s))"
    return key, msg
