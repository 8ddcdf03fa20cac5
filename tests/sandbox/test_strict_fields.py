"""SharePoint Online's column naming on create: internal names come from the display name.

Evidence: pnp/pnpcore#1317, pnp/PnP#940, SharePoint/sp-dev-docs#3286 (`CreateFieldAsXml` ignores
`Name` unless the options carry `AddFieldInternalNameHint`, 8).
"""

from __future__ import annotations

from office365.runtime.queries.service_operation import ServiceOperationQuery
from office365.sharepoint.fields.creation_information import FieldCreationInformation
from office365.sharepoint.fields.field import Field
from office365.sharepoint.fields.type import FieldType
from office365.sharepoint.fields.xmlSchemaFieldCreationInformation import (
    XmlSchemaFieldCreationInformation,
)

from c3po_sync.sandbox.model_fields import encode_internal_name

from .conftest import client_for


def _create_xml(ctx, xml: str, options: int | None) -> Field:
    """`CreateFieldAsXml` with explicit options (3.3.0's `create_field_as_xml` sends none)."""
    fields = ctx.web.lists.get_by_title("Tasks").fields
    field = Field(ctx)
    fields.add_child(field)
    payload = {"parameters": XmlSchemaFieldCreationInformation(xml, options)}
    ctx.add_query(ServiceOperationQuery(fields, "CreateFieldAsXml", None, payload, None, field))
    return field.execute_query()


def test_create_field_as_xml_without_hint_derives_name_from_display_name(sandbox):
    ctx = client_for(sandbox)
    xml = '<Field Type="Number" Name="OpenFindings" DisplayName="Open findings"/>'
    made = ctx.web.lists.get_by_title("Tasks").fields.create_field_as_xml(xml).execute_query()
    assert made.properties["InternalName"] == "Open_x0020_findings"
    assert made.properties["Title"] == "Open findings"


def test_create_field_as_xml_with_hint_uses_name(sandbox):
    ctx = client_for(sandbox)
    xml = '<Field Type="Text" Name="OpenFindings" DisplayName="Open findings"/>'
    made = _create_xml(ctx, xml, 8 | 16)
    assert made.properties["InternalName"] == "OpenFindings"
    other = _create_xml(ctx, '<Field Type="Text" Name="Notes2" DisplayName="Notes 2"/>', 1)
    assert other.properties["InternalName"] == "Notes_x0020_2"


def test_taken_internal_name_gets_a_numeric_suffix(sandbox):
    ctx = client_for(sandbox)
    made = _create_xml(ctx, '<Field Type="Text" Name="Status" DisplayName="Status"/>', 8)
    assert made.properties["InternalName"] == "Status1"


def test_add_field_derives_internal_name_from_title(sandbox):
    ctx = client_for(sandbox)
    info = FieldCreationInformation(Title="Go-live date", FieldTypeKind=FieldType.DateTime)
    made = ctx.web.lists.get_by_title("Tasks").fields.add_field(info).execute_query()
    assert made.properties["InternalName"] == "Go_x002d_live_x0020_date"


def test_internal_name_encoding_truncates_to_32_characters():
    assert encode_internal_name("Значимость") == "_x0417__x043d__x0430__x0447__x04"
    assert len(encode_internal_name("A very long display name for a column")) == 32
