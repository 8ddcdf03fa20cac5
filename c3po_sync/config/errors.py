"""Configuration errors: always located (file, line and key) and raised before any request.

:class:`ConfigError` is the one located error: settings, jobs, mappings and the rules
configuration all raise it (or a subclass), so `validate` and the command line read the file,
line, key, problem and fix from its fields, never back out of its message.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from c3po_sync.config.located import KeyPath, validation_problems
from c3po_sync.errors import C3POError


class ConfigError(C3POError):
    """A settings, job, mapping or rules file is wrong; says which file, line, key and why,
    and (``fix``, optional) what to do about it."""

    def __init__(
        self,
        file: Path | str,
        key: str,
        problem: str,
        line: int | None = None,
        *,
        fix: str = "",
    ) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        self.line = line
        self.fix = fix
        super().__init__(self.located())

    def located(self) -> str:
        """``file:line: key: problem`` (line and key left out where there are none)."""
        at = f"{self.file}:{self.line}" if self.line else self.file
        where = f"{at}: {self.key}" if self.key else at
        return f"{where}: {self.problem}"


class ConfigErrors(ConfigError):
    """Every problem found in one file; reads as the first (and how many more) where one error
    is expected, while `validate` lists ``problems`` one by one."""

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s): c3po-sync validate lists them)"
        super().__init__(
            first.file,
            first.key,
            first.problem + (more if len(problems) > 1 else ""),
            first.line,
            fix=first.fix,
        )


def errors_from_validation(
    file: Path | str, e: ValidationError, lines: dict[KeyPath, int]
) -> ConfigErrors:
    """A pydantic error as located ConfigErrors, one per problem, each with its line."""
    return ConfigErrors(
        [ConfigError(file, key, msg, line) for key, line, msg in validation_problems(e, lines)]
    )
