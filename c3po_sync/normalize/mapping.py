"""The mapping-file model: how one SharePoint list's columns become one canonical table's fields."""

from __future__ import annotations

import fnmatch
import math
import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from c3po_sync.normalize.errors import TransformError
from c3po_sync.normalize.safety import ZERO_WIDTH, fold_key, key_problem
from c3po_sync.sources.base import SourceRef

_WHOLE = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")

TARGETS: tuple[str, ...] = ("projects", "documents", "status_reports", "assets")
LinkMethod = Literal["column", "folder", "name"]
DateSource = Literal["name", "modified"]
DATE_SOURCES: tuple[DateSource, ...] = ("name", "modified")

DOC_TYPES: tuple[str, ...] = (
    "charter",
    "charter_amendment",
    "commitment_signoff",
    "acceptance_signoff",
    "status_report",
    "lessons_learned",
    "project_plan",
    "vendor_contract",
    "key_vendor_staff",
    "council_report",
    "other",
)

# Filled from the RawRecord itself, never from a mapped column.
SOURCE_COLUMNS: tuple[str, ...] = (
    "source_site",
    "source_list",
    "source_item_id",
    "source_etag",
    "source_modified",
    "source_url",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class FieldSpec(_Strict):
    """One canonical field: the source column (internal name), the transform and its options."""

    column: str = Field(min_length=1)
    transform: str | None = None  # None: the default for the canonical column's type
    synonyms: dict[str, str] = Field(default_factory=dict)  # choice
    allowed: list[str] = Field(default_factory=list)  # choice
    separator: str = Field(default=";", min_length=1)  # multi, from a delimited string
    terms: dict[str, str] = Field(default_factory=dict)  # taxonomy: TermGuid -> label
    name_fallback: bool = False  # person: the display name when the account has no e-mail
    formats: list[str] = Field(default_factory=list)  # date: strptime formats, tried in order
    excel_serial: bool = False  # date: numbers are Excel (1900) serial dates
    exponent: bool = False  # number, currency, int: accept 1.2E+06
    percent: bool = False  # number: "45%" gives 0.45
    minimum: float | None = Field(default=None, alias="min")  # number, currency, int
    maximum: float | None = Field(default=None, alias="max")
    # currency: what a bare amount counts ("15.297" in a $ millions column is 15,297,000)
    unit: Literal["ones", "thousands", "millions", "billions"] | None = None
    required: bool = False  # an empty value is reported as a data-quality problem

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, v: Any) -> Any:
        return {"column": v} if isinstance(v, str) else v


class KeyRule(_Strict):
    """Which column gives the project key, and how it is cleaned before it is compared."""

    column: str = Field(min_length=1)
    upper: bool = True
    strip: bool = True
    pattern: str | None = None  # a key must fully match this regex, else the row is quarantined
    # The key is a whole number as a spreadsheet writes it: "1,944" and 1944 are the key "1944".
    integer: bool = False

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, v: Any) -> Any:
        return {"column": v} if isinstance(v, str) else v

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return v

    def parse(self, raw: Any) -> str | None:
        """The key as compared and stored, or None when there is none.

        Keys are compared after NFKC with zero-width characters and outer whitespace removed
        (``fold_key``), so look-alike keys are one key and are reported as duplicates.

        Raises:
            TransformError: a key that cannot be represented (non-finite number, control
                character, lone surrogate, longer than SharePoint's 255 UTF-16 units); it is
                reported, never cut or altered.
        """
        if raw is None or isinstance(raw, bool | dict | list):
            return None
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise TransformError(f"project key {raw!r} is not a finite number", "invalid_key")
            s = str(int(raw)) if raw.is_integer() else repr(raw)
        else:
            s = str(raw)
        s = fold_key(s) if self.strip else ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", s))
        if self.integer and s:
            s = self._whole_number(s, raw)
        if self.upper:
            s = s.upper()
        problem = key_problem(s)
        if problem:
            raise TransformError(problem, "invalid_key")
        return s or None

    @staticmethod
    def _whole_number(s: str, raw: Any) -> str:
        """``integer: true``: the digits of a non-negative whole number, grouping commas removed.

        Only the comma grouping a spreadsheet adds ("1,944") is dropped; anything else that is
        not a whole number ("19.44", "1,94", "-3") is an invalid key, never rounded or cut.
        """
        if not _WHOLE.fullmatch(s):
            raise TransformError(
                f"project key {raw!r} is not a whole number (the key is `integer: true`)",
                "invalid_key",
            )
        return str(int(s.replace(",", "")))

    def clean(self, raw: Any) -> str | None:
        """``parse`` for contexts that cannot report (document linking): a bad key is no key."""
        try:
            return self.parse(raw)
        except TransformError:
            return None


class PatternRule(_Strict):
    """A file-name pattern (glob or regex, case-insensitive) and the doc_type it means."""

    glob: str | None = None
    regex: str | None = None
    doc_type: str

    @model_validator(mode="after")
    def _one_of(self) -> PatternRule:
        if (self.glob is None) == (self.regex is None):
            raise ValueError("give exactly one of `glob` or `regex`")
        try:
            self.compiled()
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return self

    def compiled(self) -> re.Pattern[str]:
        src = fnmatch.translate(self.glob) if self.glob is not None else self.regex
        return re.compile(src or "", re.IGNORECASE)

    @property
    def is_glob(self) -> bool:
        return self.glob is not None


class ClassifyRule(_Strict):
    """How a document's doc_type is found: a column, else its content type, else its name."""

    column: str | None = None
    synonyms: dict[str, str] = Field(default_factory=dict)  # column value -> doc_type
    content_types: dict[str, str] = Field(default_factory=dict)  # content type name -> doc_type
    patterns: list[PatternRule] = Field(default_factory=list)  # ordered; the first match wins
    default: str = "other"


class StatusReportRule(_Strict):
    """Documents classified ``status_report`` also become rows of the status_reports table.

    ``date_from`` is tried in order: ``name`` reads a date in the file name (2026-10-14,
    20261014, or 2026-10 = the 1st of the month), ``modified`` the file's last-modified date in
    the site's time zone. Status freshness (R9) then uses the latest report as evidence.
    """

    date_from: list[DateSource] = Field(default_factory=lambda: list(DATE_SOURCES), min_length=1)


class SourceMapping(_Strict):
    """One source list or library and how its rows become rows of one canonical table."""

    site: str = Field(min_length=1)
    list_title: str = Field(alias="list", min_length=1)
    kind: Literal["list", "library"] = "list"
    target: str
    portfolio: str | None = None
    time_zone: str | None = None  # overrides the site's time zone the source reports
    key: KeyRule | None = None
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    link: list[LinkMethod] = Field(default_factory=list)  # documents: ordered linking rules
    library_url: str | None = None  # documents: library root folder, when not the first segment
    classify: ClassifyRule | None = None  # documents
    status_reports: StatusReportRule | None = None  # documents: status reports -> status_reports

    _origin: str = PrivateAttr(default="")
    _file: str = PrivateAttr(default="")

    @field_validator("site")
    @classmethod
    def _site(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if not v.startswith("/"):
            raise ValueError("site must be a server-relative URL such as /sites/ppm-finance")
        return v

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.site, self.list_title, self.kind)

    @property
    def origin(self) -> str:
        """Where the mapping was declared (``file: sources[i]``), for located messages."""
        return self._origin or str(self.ref)

    @property
    def file(self) -> str:
        """The mapping file this source was read from (for "map it in <file>" hints)."""
        return self._file or "mappings/"

    @property
    def match_key(self) -> tuple[str, str]:
        return self.site.casefold(), self.list_title.casefold()


class MappingFile(_Strict):
    """A mapping file: a list of sources."""

    sources: list[SourceMapping] = Field(min_length=1)
