"""Creates a consolidated list and its missing columns; never touches columns that exist."""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape, quoteattr

from office365.sharepoint.lists.creation_information import ListCreationInformation
from office365.sharepoint.lists.templates.type import ListTemplateType

from c3po_sync.m365.errors import ListNotFoundError, SchemaError, SharePointRequestError
from c3po_sync.m365.http import SiteConnection, list_path, quote_title
from c3po_sync.m365.schema import ListField, fetch_fields
from c3po_sync.sinks.base import ColumnSpec, ListSpec

logger = logging.getLogger(__name__)

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
        fields = fetch_fields(self.conn, spec.title) if (exists or not dry_run) else []
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
            elif indexed and not existing.indexed:
                changes.append(f"index column {column.internal_name}")
                if not dry_run:
                    self._index_field(spec, existing)
        for change in changes:
            logger.info(
                "%s/%s: %s%s", self.conn.site_path, spec.title, "would " if dry_run else "", change
            )
        return changes

    def _create_list(self, spec: ListSpec) -> None:
        info = ListCreationInformation(
            Title=spec.title,
            Description=spec.description or None,
            BaseTemplate=ListTemplateType.GenericList,
        )
        self.conn.run_client_query(
            lambda: self.conn.ctx.web.lists.add(info), route=f"create list '{spec.title}'"
        )

    def _add_field(self, spec: ListSpec, column: ColumnSpec, *, indexed: bool) -> None:
        xml = field_schema_xml(column, indexed=indexed)

        def build() -> object:
            lst = self.conn.ctx.web.lists.get_by_title(spec.title)
            return lst.fields.create_field_as_xml(xml)

        self.conn.run_client_query(
            build, route=f"add column {column.internal_name} to '{spec.title}'"
        )

    def _index_field(self, spec: ListSpec, field: ListField) -> None:
        url = self.conn.api(
            f"{list_path(spec.title)}/Fields/getByInternalNameOrTitle('{quote_title(field.internal_name)}')"
        )
        try:
            self.conn.send(
                "MERGE",
                url,
                route=f"index column {field.internal_name} of '{spec.title}'",
                body={"__metadata": {"type": "SP.Field"}, "Indexed": True},
                headers={"IF-MATCH": "*"},
            )
        except SharePointRequestError as exc:
            if exc.transient:
                raise
            # Not fatal: the list still works, only filtering by key on > 5000 rows would not.
            logger.error(
                "%s/%s: could not index key column %s: %s",
                self.conn.site_path,
                spec.title,
                field.internal_name,
                exc,
            )

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
