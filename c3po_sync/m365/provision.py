"""Creates a consolidated list and its missing columns; of a column that exists, only adds
what the writer needs and the column lacks (an index on the key, a choice a newer release
writes), never removing or renaming anything someone made.

Every create is checked first and re-checked before any retry: a "create list" or "create
column" whose answer was lost may have been applied, and sending it again would fail ("list
already exists") or, for a column, make a second one named ``Status1``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from c3po_sync.m365.errors import (
    ListNotFoundError,
    ProvisioningError,
    SchemaError,
    SharePointRequestError,
)
from c3po_sync.m365.http import SiteConnection, list_path, quote_title
from c3po_sync.m365.list_views import ensure_views
from c3po_sync.m365.schema import PROVISION_FIELD_SELECT, ListField, fetch_fields
from c3po_sync.sinks.base import ColumnSpec, ListSpec

logger = logging.getLogger(__name__)

# SP.AddFieldOptions.AddFieldInternalNameHint: without it SharePoint Online builds the internal
# name from DisplayName ("Open_x0020_Findings") and ignores Name (pnp/pnpcore#1317,
# pnp/PnP#940, SharePoint/sp-dev-docs#3286).
ADD_FIELD_INTERNAL_NAME_HINT = 8
GENERIC_LIST = 100  # SP.ListTemplateType.GenericList

FIELD_TYPE_KIND = {
    "Text": 2,
    "Note": 3,
    "DateTime": 4,
    "Choice": 6,
    "Boolean": 8,
    "Number": 9,
    "Currency": 10,
    "URL": 11,
    "User": 20,
}

_BUILTIN_FIELDS = {
    "ID": "Counter",
    "Title": "Text",
    "Created": "DateTime",
    "Modified": "DateTime",
    "Author": "User",
    "Editor": "User",
}


def field_schema_xml(column: ColumnSpec, *, indexed: bool) -> str:
    """``CreateFieldAsXml`` schema: the only way to choose the internal name in one request."""
    attrs = {
        "Type": column.kind,
        "Name": column.internal_name,
        "StaticName": column.internal_name,
        "DisplayName": column.title,
    }
    if indexed:
        attrs["Indexed"] = "TRUE"
    if column.kind == "DateTime":
        attrs["Format"] = "DateOnly" if column.date_only else "DateTime"
    if column.kind == "User":
        attrs["UserSelectionMode"] = "PeopleOnly"  # a PPM, never a SharePoint group
        attrs["List"] = "UserInfo"
        attrs["ShowField"] = "ImnName"
    text = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
    if column.kind == "Choice" and column.choices:
        options = "".join(f"<CHOICE>{escape(c)}</CHOICE>" for c in column.choices)
        return f"<Field {text}><CHOICES>{options}</CHOICES></Field>"
    return f"<Field {text}/>"


def missing_choices(column: ColumnSpec, existing: ListField) -> list[str]:
    """The spec's choices a Choice column on the list lacks (a list made by an older release).

    Only for a column that is still a choice column: one someone turned into text takes any
    value, and is theirs to keep.
    """
    if (
        column.kind != "Choice"
        or existing.kind not in ("Choice", "MultiChoice")
        or existing.choices is None  # not read: never replaced by the spec's alone
    ):
        return []
    have = set(existing.choices)
    return [c for c in column.choices or () if c not in have]


class ListProvisioner:
    """``ensure_list`` on one site: GET the list, GET its fields, write only what is missing."""

    def __init__(self, conn: SiteConnection) -> None:
        self.conn = conn

    def list_exists(self, title: str) -> bool:
        try:
            self.conn.get_json(
                self.conn.api(f"{list_path(title)}?$select=Id,Title"), route=f"list '{title}'"
            )
        except ListNotFoundError:
            return False
        return True

    def ensure(self, spec: ListSpec, *, dry_run: bool = False) -> list[str]:
        changes: list[str] = []
        exists = self.list_exists(spec.title)
        if not exists:
            changes.append(f"create list '{spec.title}'")
            if not dry_run:
                self._create_list(spec)
        fields = self._fields(spec) if (exists or not dry_run) else []
        by_name = {f.internal_name.lower(): f for f in fields}
        if not exists and dry_run:  # what a new generic list brings with it
            by_name.update({n.lower(): ListField(n, n, k) for n, k in _BUILTIN_FIELDS.items()})
        for column in spec.columns:
            existing = by_name.get(column.internal_name.lower())
            indexed = column.indexed or column.internal_name == spec.key_column
            if existing is None:
                self._check_title_clash(spec, column, fields)
                changes.append(
                    f"add column {column.internal_name} ({column.kind}, FieldTypeKind "
                    f"{FIELD_TYPE_KIND[column.kind]}{', indexed' if indexed else ''})"
                )
                if not dry_run:
                    self._add_field(spec, column, indexed=indexed)
                continue
            if indexed and not existing.indexed:
                changes.append(f"index column {column.internal_name}")
                if not dry_run:
                    self._index_field(spec, existing)
            missing = missing_choices(column, existing)
            if missing:
                changes.append(
                    f"add choices {', '.join(map(repr, missing))} to column {column.internal_name}"
                )
                if not dry_run:
                    self._add_choices(spec, existing, missing)
        changes += ensure_views(
            self.conn, spec, self._create_once, list_exists=exists, dry_run=dry_run
        )
        for change in changes:
            logger.info(
                "%s/%s: %s%s", self.conn.site_path, spec.title, "would " if dry_run else "", change
            )
        return changes

    def _fields(self, spec: ListSpec) -> list[ListField]:
        """The list's fields with their choices; without them if the server refuses to select
        ``Choices`` on the collection (public SharePoint Online clients select it, but no
        recorded answer here proves it): provisioning then only cannot add missing choices."""
        try:
            return fetch_fields(self.conn, spec.title, PROVISION_FIELD_SELECT)
        except SharePointRequestError as exc:
            if exc.status != 400:
                raise
            logger.warning("%s/%s: choices not readable (%s); choices not checked",
                           self.conn.site_path, spec.title, exc)  # fmt: skip
            return fetch_fields(self.conn, spec.title)

    def _create_list(self, spec: ListSpec) -> None:
        body = {
            "__metadata": {"type": "SP.List"},
            "Title": spec.title,
            "Description": spec.description or "",
            "BaseTemplate": GENERIC_LIST,
        }
        self._create_once(
            f"create list '{spec.title}'",
            lambda route: self.conn.send_once(
                "POST", self.conn.api("web/lists"), route=route, body=body
            ),
            lambda: self.list_exists(spec.title),
        )

    def _add_field(self, spec: ListSpec, column: ColumnSpec, *, indexed: bool) -> None:
        """``CreateFieldAsXml`` with ``AddFieldInternalNameHint``, then the name is checked."""
        body = {
            "parameters": {
                "__metadata": {"type": "SP.XmlSchemaFieldCreationInformation"},
                "SchemaXml": field_schema_xml(column, indexed=indexed),
                "Options": ADD_FIELD_INTERNAL_NAME_HINT,
            }
        }
        url = self.conn.api(f"{list_path(spec.title)}/fields/createfieldasxml")
        made: dict[str, Any] = {}

        def create(route: str) -> None:
            response = self.conn.send_once("POST", url, route=route, body=body)
            if response.content:
                made.update((response.json() or {}).get("d") or {})

        def present() -> bool:
            found = self._find_column(spec, column)
            if found is not None:
                made["InternalName"] = found.internal_name
            return found is not None

        self._create_once(f"add column {column.internal_name} to '{spec.title}'", create, present)
        actual = str(made.get("InternalName") or "")
        if actual and actual != column.internal_name:
            raise ProvisioningError(
                self.conn.site_path, spec.title, column.title, column.internal_name, actual
            )

    def _find_column(self, spec: ListSpec, column: ColumnSpec) -> ListField | None:
        """The list's column for ``column``: by internal name, else by display name."""
        fields = fetch_fields(self.conn, spec.title)
        wanted = column.internal_name.lower()
        for f in fields:
            if f.internal_name.lower() == wanted:
                return f
        title = column.title.lower()
        return next((f for f in fields if f.title.lower() == title and not f.hidden), None)

    def _create_once(
        self, route: str, create: Callable[[str], Any], present: Callable[[], bool]
    ) -> None:
        """``create`` under the retry policy, re-checking ``present`` before every retry.

        A transient failure (429/503, a dropped connection, a cut-off answer) may have come
        after the server applied the request; so a retry first asks whether it did.
        """
        attempts = 0

        def attempt() -> None:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and present():
                logger.info(
                    "%s: %s was applied before its answer was lost", self.conn.site_path, route
                )
                return
            create(route)

        self.conn.retry(attempt, route=route)

    def _index_field(self, spec: ListSpec, field: ListField) -> None:
        # Not fatal: the list still works, only filtering by key on > 5000 rows would not.
        self._merge_field(
            spec, field, f"index column {field.internal_name}",
            {"__metadata": {"type": "SP.Field"}, "Indexed": True},
        )  # fmt: skip

    def _add_choices(self, spec: ListSpec, field: ListField, missing: list[str]) -> None:
        """The column's choices with ``missing`` appended: a choice someone added by hand stays.

        SharePoint Online's REST API stores a value outside a column's choices as sent (the
        sandbox's model_fields.py cites the evidence), so rows would be written either way; but
        the list's filters and edit form offer only the choices, and a row whose value is not
        among them cannot be saved from the form without changing it. Not fatal either: the
        rows are still written, and the next provisioning tries again.
        """
        choices = [*(field.choices or ()), *missing]
        self._merge_field(
            spec, field, f"add choices {', '.join(missing)} to column {field.internal_name}",
            {"__metadata": {"type": "SP.FieldChoice"},
             "Choices": {"__metadata": {"type": "Collection(Edm.String)"}, "results": choices}},
        )  # fmt: skip

    def _merge_field(self, spec: ListSpec, field: ListField, what: str, body: dict) -> None:
        """MERGE ``body`` into an existing column; a refusal is logged (``what`` failed), not
        raised: only an addition to a column that already works (index, choices) goes here."""
        url = self.conn.api(
            f"{list_path(spec.title)}/Fields/getByInternalNameOrTitle('{quote_title(field.internal_name)}')"
        )
        try:
            self.conn.send(
                "MERGE", url, route=f"{what} of '{spec.title}'", body=body,
                headers={"IF-MATCH": "*"},
            )  # fmt: skip
        except SharePointRequestError as exc:
            if exc.transient:
                raise
            logger.error("%s/%s: could not %s: %s", self.conn.site_path, spec.title, what, exc)

    def _check_title_clash(
        self, spec: ListSpec, column: ColumnSpec, fields: list[ListField]
    ) -> None:
        for f in fields:
            if f.title.lower() == column.title.lower() and not f.hidden:
                raise SchemaError(
                    f"{self.conn.site_path}/{spec.title}: column {column.internal_name!r} is "
                    f"missing but a column titled {f.title!r} exists as {f.internal_name!r}; "
                    "rename one of them or set internal_name to match"
                )
