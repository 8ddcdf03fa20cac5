"""Errors of the normalize stage: bad mapping files, schema drift, and single bad values."""

from __future__ import annotations

from c3po_sync.config.errors import ConfigError
from c3po_sync.errors import C3POError


class NormalizeError(C3POError):
    """Root of the normalize stage's errors."""


class MappingError(NormalizeError, ConfigError):
    """A mapping file is wrong; raised at start-up, before any request, naming file and key.

    ``problems`` holds every located problem found (each a :class:`ConfigError`), so a
    ``validate`` command can show them all at once rather than one per run; the error itself
    reads as the first.
    """

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = list(problems) or [ConfigError("<mappings>", "", "invalid mapping")]
        first = self.problems[0]
        ConfigError.__init__(self, first.file, first.key, first.problem, first.line, fix=first.fix)
        if len(self.problems) > 1:
            rest = "\n".join(str(p) for p in self.problems[1:])
            self.args = (f"{first}\n(and {len(self.problems) - 1} more:)\n{rest}",)


class SchemaDriftError(NormalizeError):
    """A mapped column no longer exists on the source list: the list changed under the mapping."""

    def __init__(
        self,
        site: str,
        list_title: str,
        column: str,
        suggestions: list[str],
        *,
        origin: str = "",
        canonical: str = "",
        missing: list[str] | None = None,
    ) -> None:
        self.site = site
        self.list_title = list_title
        self.column = column
        self.suggestions = list(suggestions)
        self.origin = origin
        self.missing = list(missing or [column])
        where = f"{origin}: " if origin else ""
        what = f"field `{canonical}` → column `{column}`" if canonical else f"column `{column}`"
        hint = (
            " (did you mean " + " or ".join(f"`{s}`" for s in self.suggestions) + "?)"
            if self.suggestions
            else ""
        )
        others = [m for m in self.missing if m != column]
        also = f"; also missing: {', '.join(others)}" if others else ""
        super().__init__(f"{where}{what} does not exist on {site}/{list_title}{hint}{also}")


class TransformError(NormalizeError):
    """One value could not be turned into its canonical form; it goes to quarantine, not up.

    ``problem`` is a short category (invalid, ambiguous, out_of_range, unknown_value, ...) so
    the data-quality views can group a whole column's problems together.
    """

    def __init__(self, reason: str, problem: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.problem = problem


class UnknownValue(TransformError):
    """A choice value no mapping knows: it is kept as typed and reported, never made missing."""

    def __init__(self, reason: str, value: str) -> None:
        super().__init__(reason, "unknown_value")
        self.value = value
