"""The canonical schema: the one definition of every table the pipeline passes between stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

# The canonical vocabularies: mappings translate each site's words into these.
PHASES: tuple[str, ...] = (
    "Initiation",
    "Chartering",
    "Procurement",
    "Execution",
    "Release",
    "Sustain",
    "Closed",
)
STATUSES: tuple[str, ...] = ("Green", "Yellow", "Red")
LIFECYCLE_STAGES: tuple[str, ...] = ("Planned", "In Service", "Retiring", "Retired")
# A project's standing beside its phase: a halted project keeps the phase it stopped in, so its
# documents are judged by what it reached, not by a "Cancelled phase" nobody can place.
PROJECT_STATES: tuple[str, ...] = ("Active", "On hold", "Cancelled")

ColumnType = Literal["str", "float", "bool", "date", "datetime", "list", "int"]

_DTYPES: dict[str, str] = {
    "str": "string",
    "float": "Float64",
    "bool": "boolean",
    "int": "Int64",
    "date": "object",  # datetime.date or None: date-only values never carry a time zone
    "datetime": "datetime64[ns, UTC]",
    "list": "object",  # list[str]
}


@dataclass(frozen=True)
class Column:
    """One canonical column; ``doc`` says what it means to a PPM or an auditor."""

    name: str
    type: ColumnType
    doc: str


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns and the columns that identify a row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}; columns: {self.column_names}")

    def empty(self) -> pd.DataFrame:
        return self.frame([])

    def frame(self, rows: list[dict]) -> pd.DataFrame:
        """Builds a frame with exactly this table's columns and dtypes; missing values become NA."""
        return self.typed(pd.DataFrame(rows, columns=self.column_names))

    def typed(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` (this table's columns, any dtypes) with the table's dtypes; NA for missing.

        Builds from columns as well as rows (``frame``): a frame of lists per column, or one
        concatenated from parts, is typed without a detour through a dict per row. ``df`` is
        typed in place and returned.
        """
        for c in self.columns:
            df[c.name] = typed_column(c, df[c.name])
        return df

    def frame_of_columns(self, columns: dict[str, list | pd.Series]) -> pd.DataFrame:
        """A frame from one list of values per column, each typed as it is taken (and the list
        emptied), so the untyped values of only one column exist at a time. A column given as
        a Series (parsed already, e.g. the store's datetimes) is typed as it is."""
        typed: dict[str, pd.Series] = {}
        for c in self.columns:
            values = columns.pop(c.name)
            if isinstance(values, pd.Series):
                typed[c.name] = typed_column(c, values.reset_index(drop=True))
                continue
            if c.type == "list":  # values are lists: pandas keeps each one as one element
                typed[c.name] = typed_column(c, pd.Series(values, dtype=object))
            else:  # scalars: copied into an object array at C speed (pandas checks each one)
                array = np.empty(len(values), dtype=object)
                array[:] = values
                typed[c.name] = _typed_array(c, array, values)
            values.clear()
        return pd.DataFrame(typed, columns=self.column_names)


# The "string" dtype is pandas' own string array (not pyarrow's): its constructor takes text.
_PYTHON_STRINGS = pd.StringDtype().storage == "python"


def _typed_array(column: Column, array: np.ndarray, values: list) -> pd.Series:
    """``typed_column`` of an object array of scalars (``values``, the same as a list), with
    the store's common cases built directly: a load's text and int columns cost ~4x more
    through ``astype``, which converts value by value (issue 16, a new day's snapshot load).
    Anything else (a number in a text column, a bool or float in an int column, an int past
    int64) takes ``astype``, as before."""
    if column.type == "str" and _PYTHON_STRINGS:
        try:  # text and None only: checked and NA-marked in one C pass (array reused)
            return pd.Series(pd.arrays.StringArray(array))
        except ValueError:
            pass
    elif column.type == "int" and set(map(type, values)) <= {int, type(None)}:
        missing = pd.isna(array)
        try:
            ints = np.where(missing, 0, array).astype(np.int64)
        except OverflowError:
            ints = None
        if ints is not None:
            return pd.Series(pd.arrays.IntegerArray(ints, missing))
    return typed_column(column, pd.Series(array, dtype=object, copy=False))


def typed_column(column: Column, values: pd.Series) -> pd.Series:
    """``values`` with ``column``'s dtype; NA (None for dates and lists) where missing."""
    if column.type == "datetime":
        if values.dtype == _DTYPES["datetime"]:  # typed already: to_datetime would iterate it
            return values
        return pd.to_datetime(values, utc=True)
    if column.type in ("date", "list"):
        return values.astype(object).where(values.notna(), None)
    return values.astype(_DTYPES[column.type])


def _source_columns() -> tuple[Column, ...]:
    return (
        Column("source_site", "str", "server-relative URL of the site the row came from"),
        Column("source_list", "str", "title of the list or library the row came from"),
        Column("source_item_id", "int", "SharePoint item id in that list"),
        Column("source_etag", "str", "ETag of the item when read"),
        Column("source_modified", "datetime", "when the item was last modified in SharePoint"),
        Column("source_url", "str", "absolute URL back to the item (or the document)"),
    )


PROJECTS = Table(
    "projects",
    (
        Column("project_key", "str", "stable project key, unique across the City (e.g. SJ311)"),
        Column("title", "str", "project name"),
        Column("portfolio", "str", "portfolio area (usually the PPM site)"),
        Column("ppm", "str", "PPM e-mail"),
        Column("ppm_name", "str", "PPM display name"),
        Column("ppm_is_contract", "bool", "the PPM is a contractor rather than City staff"),
        Column("supervising_ppm", "str", "e-mail of the City PPM supervising a contract PPM"),
        Column("product_owner", "str", "product owner e-mail"),
        Column("sponsor", "str", "executive sponsor e-mail"),
        Column("departments", "list", "departments impacted"),
        Column("budget", "float", "total budget in USD"),
        Column("start_date", "date", "project start"),
        Column("target_end", "date", "planned end"),
        Column("actual_end", "date", "actual end, once closed"),
        Column("phase", "str", "lifecycle phase (config/rules.yaml phase order)"),
        Column("status", "str", "Green, Yellow or Red"),
        Column("status_date", "date", "date of the last status update"),
        Column("methodology", "str", "Waterfall, Agile or Hybrid"),
        Column("governance_body", "str", "steering committee or board named for the project"),
        Column("itd_liaison", "str", "ITD liaison e-mail"),
        Column("ppb_priority", "str", "Procurement Planning Board priority"),
        Column("high_profile", "bool", "high profile or sensitive"),
        Column("custom_software", "bool", "custom or customized software"),
        Column("vendor", "str", "prime vendor"),
        Column("key_vendor_staff", "list", "names of key vendor staff"),
        Column("metrics", "str", "metric goals (OKRs) once released"),
        Column("state", "str", "Active, On hold or Cancelled (blank: Active)"),
        Column(
            "project_kind",
            "str",
            "what the project delivers (System, Upgrade, Staffing, O&M, Study...); only the "
            "kinds in rules.yaml system_kinds must enter the IT inventory",
        ),
        Column(
            "stakeholders",
            "list",
            "stakeholders named in the charter, each 'Department: name' (rec 2: every "
            "impacted department's users and stakeholders)",
        ),
        Column("key_vendor_staff_approved", "bool", "the key vendor staff list is approved"),
        Column("vendor_last_review", "date", "date of the last vendor performance review"),
        Column("actual_cost", "float", "spent to date (or forecast at completion), in USD"),
        *_source_columns(),
    ),
    key=("project_key",),
)

DOCUMENTS = Table(
    "documents",
    (
        Column("project_key", "str", "project of the document (NA when not linked)"),
        Column(
            "doc_type",
            "str",
            "charter, charter_amendment, commitment_signoff, acceptance_signoff, "
            "status_report, lessons_learned, project_plan, vendor_contract, key_vendor_staff, "
            "council_report, other",
        ),
        Column("name", "str", "file name"),
        Column("path", "str", "server-relative path of the file"),
        Column("size", "int", "bytes"),
        Column("author", "str", "e-mail or name of the last editor"),
        Column("template_version", "str", "template version the document declares, when known"),
        *_source_columns(),
    ),
    key=("path",),
)

STATUS_REPORTS = Table(
    "status_reports",
    (
        Column("project_key", "str", "project"),
        Column("report_date", "date", "date the report covers"),
        Column("status", "str", "Green, Yellow or Red"),
        Column("summary", "str", "what the report says"),
        *_source_columns(),
    ),
    key=("source_site", "source_list", "source_item_id"),
)

ASSETS = Table(
    "assets",
    (
        Column("asset_id", "str", "stable asset id (site, list and item id)"),
        Column("name", "str", "asset name"),
        Column(
            "kind", "str", "Application, Server, Network, Endpoint, Cloud Service, Subscription"
        ),
        Column("vendor", "str", "vendor"),
        Column("owner_department", "str", "department that owns the asset"),
        Column("owner", "str", "asset owner e-mail"),
        Column("ppm", "str", "PPM e-mail, when a project delivered it"),
        Column("lifecycle_stage", "str", "Planned, In Service, Retiring, Retired"),
        Column("acquired", "date", "acquired on"),
        Column("renewal", "date", "next renewal"),
        Column("end_of_support", "date", "vendor end of support"),
        Column("annual_cost", "float", "annual cost in USD"),
        Column("last_reviewed", "date", "last inventory review"),
        Column("project_key", "str", "project that delivered or uses it"),
        *_source_columns(),
    ),
    key=("asset_id",),
)

FINDINGS = Table(
    "findings",
    (
        Column("finding_id", "str", "stable identity: rule id + entity key"),
        Column("rule_id", "str", "rule that raised it"),
        Column("recommendation", "int", "audit recommendation 1-10 (0 for data-quality findings)"),
        Column("severity", "str", "high, medium or low"),
        Column("entity_kind", "str", "project, asset, document, ppm, council_report or source"),
        Column("entity_key", "str", "project key, asset id or source name"),
        Column("project_key", "str", "project concerned, if any"),
        Column("ppm", "str", "PPM to act, if known"),
        Column("portfolio", "str", "portfolio area"),
        Column("message", "str", "what is wrong and what would fix it"),
        Column("source_url", "str", "link to the item or document concerned"),
    ),
    key=("finding_id",),
)

QUARANTINE = Table(
    "quarantine",
    (
        Column("source_site", "str", "site"),
        Column("source_list", "str", "list or library"),
        Column("source_item_id", "int", "item id"),
        Column("column", "str", "internal column name"),
        Column("raw_value", "str", "the value as SharePoint sent it (truncated)"),
        Column("reason", "str", "why it could not be normalized"),
        Column("field", "str", "canonical field the value was for (blank for a whole row)"),
        Column(
            "problem",
            "str",
            "kind of problem, for grouping: invalid, ambiguous, out_of_range, unknown_value "
            "(kept as typed), unrepresentable, invalid_key, duplicate_key, missing_key, "
            "required, shifted_columns, unknown_key",
        ),
    ),
    key=("source_site", "source_list", "source_item_id", "column"),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (PROJECTS, DOCUMENTS, STATUS_REPORTS, ASSETS, FINDINGS, QUARANTINE)
}
