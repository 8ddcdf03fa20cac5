"""Configuration errors: always located (file, line and key) and raised before any request."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from c3po_sync.config.located import KeyPath, validation_problems


class ConfigError(Exception):
    """A settings, job, mapping or rules file is wrong; says which file, line, key and why."""

    def __init__(self, file: Path | str, key: str, problem: str, line: int | None = None) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        self.line = line
        at = f"{self.file}:{line}" if line else self.file
        where = f"{at}: {key}" if key else at
        super().__init__(f"{where}: {problem}")


class ConfigErrors(ConfigError):
    """Every problem found in one file; reads as the first (and how many more) where one error
    is expected, while `validate` lists ``problems`` one by one."""

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s): c3po-sync validate lists them)"
        super().__init__(
            first.file, first.key, first.problem + (more if len(problems) > 1 else ""), first.line
        )


def errors_from_validation(
    file: Path | str, e: ValidationError, lines: dict[KeyPath, int]
) -> ConfigErrors:
    """A pydantic error as located ConfigErrors, one per problem, each with its line."""
    return ConfigErrors(
        [ConfigError(file, key, msg, line) for key, line, msg in validation_problems(e, lines)]
    )
