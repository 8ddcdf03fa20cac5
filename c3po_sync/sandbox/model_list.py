"""HTTP-free lists and libraries of the sandbox: fields, items, item writes and change queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from c3po_sync.sandbox.errors import (
    BadRequest,
    FieldNotFound,
    FileAlreadyExists,
    ItemNotFound,
    VersionConflict,
)
from c3po_sync.sandbox.model_changes import SCOPE_LIST, Change, make_token
from c3po_sync.sandbox.model_entity import find_property, item_entity
from c3po_sync.sandbox.model_fields import (
    FIELD_TYPE_KIND,
    SYSTEM_NAMES,
    Field,
    builtin_fields,
    convert_write,
    decode_internal_name,
    encode_internal_name,
)
from c3po_sync.sandbox.model_files import FileBlob
from c3po_sync.sandbox.model_ids import SANDBOX_NS, stable_guid  # noqa: F401 (importers)
from c3po_sync.sandbox.model_query import caml_query, query_items

if TYPE_CHECKING:
    from c3po_sync.sandbox.model import Site, User


# SP.Field properties a MERGE may set: modelled ones map to Field attributes; the others are
# accepted and ignored (SharePoint stores them, nothing the sandbox serves depends on them).
FIELD_UPDATABLE = {
    "Title": "title",
    "Indexed": "indexed",
    "Required": "required",
    "Hidden": "hidden",
}
FIELD_IGNORED = {
    "Description",
    "Group",
    "DefaultValue",
    "EnforceUniqueValues",
    "ValidationFormula",
    "ValidationMessage",
    "StaticName",
    "ReadOnlyField",
    "JSLink",
    "CustomFormatter",
    "ClientSideComponentId",
    "ClientSideComponentProperties",
    "DisplayFormat",
    "MaxLength",
    "MinimumValue",
    "MaximumValue",
    "FillInChoice",
    "EditFormat",
}


@dataclass
class Item:
    id: int
    values: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    created: datetime | None = None
    modified: datetime | None = None
    author_id: int | None = None
    editor_id: int | None = None
    guid: str = ""
    fs_obj_type: int = 0
    file_ref: str = ""
    file: FileBlob | None = None

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def check_etag(item: Item, if_match: str | None) -> None:
    """Compare an IF-MATCH header with the item version; `*` and None skip the check."""
    if if_match is None or if_match.strip() in ("", "*"):
        return
    tag = if_match.strip().removeprefix("W/").strip('"')
    if tag.split(",")[0] != str(item.version):
        raise VersionConflict()


class SPList:
    """A list or document library; items are kept in a dict in id order."""

    view_threshold = 5000

    def __init__(
        self,
        site: Site,
        title: str,
        base_template: int = 100,
        *,
        url: str | None = None,
        id: str | None = None,
        description: str = "",
    ) -> None:
        self.site = site
        self.title = title
        self.base_template = base_template
        self.description = description
        if url is None:
            url = title if base_template == 101 else "Lists/" + title.replace(" ", "")
        self.url = url.strip("/")
        self.root_folder = f"{site.server_relative_url.rstrip('/')}/{self.url}"
        self.id = (id or stable_guid(site.server_relative_url, "list", title)).lower()
        self.fields: list[Field] = builtin_fields(self.is_library)
        self.items: dict[int, Item] = {}
        # lower-case FileRef -> item id, so folder and file lookups by path are O(1)
        self.by_ref: dict[str, int] = {}
        self._field_index: dict[str, Field] | None = None
        self._field_index_len = 0
        self.next_id = 1
        self.created = site.tenant.now()
        self.views: list[Any] = []  # model_views.ListView, made on first use (views_of)

    @property
    def is_library(self) -> bool:
        return self.base_template == 101

    @property
    def entity_type_name(self) -> str:
        leaf = self.url.rsplit("/", 1)[-1]
        name = encode_internal_name(leaf.replace("_", "\x00")).replace("_x0000_", "_x005f_")
        return name if self.is_library else name + "List"

    @property
    def list_item_entity_type_full_name(self) -> str:
        return f"SP.Data.{self.entity_type_name}Item"

    @property
    def api_uri(self) -> str:
        return f"{self.site.api_url}/Web/Lists(guid'{self.id}')"

    @property
    def last_item_modified(self) -> datetime:
        return max((it.modified for it in self.items.values() if it.modified), default=self.created)

    def field(self, name: str) -> Field:
        """By internal name or title, case-insensitive; FieldNotFound otherwise."""
        index = self._field_index
        if index is None or self._field_index_len != len(self.fields):
            index = self._index_fields()
        fld = index.get(name.lower())
        if fld is None:
            raise FieldNotFound(
                f"Column '{name}' does not exist. It may have been deleted by another user.  "
                f"/{self.root_folder.lstrip('/')}"
            )
        return fld

    def _index_fields(self) -> dict[str, Field]:
        """Internal names win over titles, as in SharePoint's getByInternalNameOrTitle."""
        index: dict[str, Field] = {}
        for fld in reversed(self.fields):
            index[fld.title.lower()] = fld
        for fld in reversed(self.fields):
            index[fld.internal_name.lower()] = fld
        self._field_index = index
        self._field_index_len = len(self.fields)
        return index

    def field_by_id(self, guid: str) -> Field:
        wanted = str(guid).strip("{}").lower()
        for fld in self.fields:
            if fld.id.lower() == wanted:
                return fld
        raise FieldNotFound(f"Field with id '{wanted}' does not exist in list '{self.title}'.")

    def update_field(self, fld: Field, props: dict[str, Any], *, record: bool = True) -> Field:
        """MERGE on an SP.Field: Title, Indexed, Required, Hidden, Choices; 400 on unknown names."""
        changes: dict[str, Any] = {}
        for prop, value in props.items():
            if prop == "__metadata" or prop in FIELD_IGNORED:
                continue
            if prop in FIELD_UPDATABLE:
                attr = FIELD_UPDATABLE[prop]
                if attr == "title":
                    if not isinstance(value, str) or not value.strip():
                        raise BadRequest("The field title cannot be empty.")
                    changes[attr] = value
                elif not isinstance(value, bool):
                    raise BadRequest(
                        f"Cannot convert the literal '{value}' to the expected type 'Edm.Boolean'."
                    )
                else:
                    changes[attr] = value
            elif prop == "Choices":
                if fld.kind not in ("Choice", "MultiChoice"):
                    raise BadRequest("The property 'Choices' does not exist on type 'SP.Field'.")
                raw = value.get("results", []) if isinstance(value, dict) else value
                if not isinstance(raw, list):
                    raise BadRequest("A collection value was expected for 'Choices'.")
                changes["choices"] = [str(c) for c in raw]
            else:
                raise BadRequest(
                    f"The property '{prop}' does not exist on type 'SP.Field'. "
                    "Make sure to only use property names that are defined by the type."
                )
        if fld.builtin and fld.read_only and set(changes) - {"indexed"}:
            raise BadRequest(f"The field '{fld.internal_name}' is read-only.")
        changed = {a: v for a, v in changes.items() if getattr(fld, a) != v}
        for attr, value in changed.items():
            setattr(fld, attr, value)
        self._field_index = None
        if changed and record:
            self.site.record_schema_change("field", 2, self, fld.id)
        return fld

    def delete_field(self, fld: Field) -> None:
        """Removes a custom column (built-in ones cannot go), logged as SP.ChangeField Delete."""
        if fld.builtin:
            raise BadRequest(f"The field '{fld.internal_name}' cannot be deleted.")
        self.fields = [f for f in self.fields if f is not fld]
        self._field_index = None
        self.site.record_schema_change("field", 3, self, fld.id)

    def add_field(
        self,
        title: str,
        kind: str,
        *,
        internal_name: str | None = None,
        record: bool = True,
        **opts: Any,
    ) -> Field:
        """Create a custom column; the internal name comes from the title as in SharePoint."""
        if kind not in FIELD_TYPE_KIND:
            raise BadRequest(
                f"Field kind '{kind}' is not supported; use one of {sorted(FIELD_TYPE_KIND)}."
            )
        name = internal_name or encode_internal_name(title)
        base, n = name, 0
        while any(f.internal_name.lower() == name.lower() for f in self.fields):
            n += 1
            name = f"{base}{n}"
        fld = Field(
            stable_guid(self.id, "field", name),
            name,
            title or decode_internal_name(name),
            kind,
            **opts,
        )
        self.fields.append(fld)
        self._field_index = None
        if record:
            self.site.record_schema_change("field", 1, self, fld.id)
        return fld

    # -- items -------------------------------------------------------------------------------------

    def get_item(self, id: int) -> Item:
        try:
            return self.items[int(id)]
        except (KeyError, ValueError):
            raise ItemNotFound() from None

    def _convert(self, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split a write body into (column values, system values), both canonical."""
        out: dict[str, Any] = {}
        system: dict[str, Any] = {}
        tz = self.site.time_zone
        for prop, value in values.items():
            if prop == "__metadata":
                continue
            found = find_property(self, prop)
            if found is None:
                raise BadRequest(
                    f"The property '{prop}' does not exist on type "
                    f"'{self.list_item_entity_type_full_name}'. "
                    "Make sure to only use property names that are defined by the type."
                )
            fld, role = found
            if role == "stringid":
                value = (
                    [int(v) for v in value.get("results", [])] if isinstance(value, dict) else value
                )
            canon = convert_write(fld, prop, value, tz)
            if (
                fld.kind == "TaxonomyFieldType"
                and canon is not None
                and canon["WssId"] in (-1, None)
            ):
                wss = self.site.wss_ids
                canon["WssId"] = wss.setdefault(str(canon["TermGuid"]).lower(), len(wss) + 1)
            if fld.kind in ("User", "UserMulti") and canon is not None:
                for uid in canon if isinstance(canon, list) else [canon]:
                    if uid not in self.site.tenant.users:
                        raise BadRequest("The user does not exist or is not unique.")
            if fld.internal_name in ("Created", "Modified", "Author", "Editor"):
                system[fld.internal_name] = canon
            elif fld.internal_name in SYSTEM_NAMES:
                if fld.internal_name == "FileLeafRef" and isinstance(canon, str):
                    system["FileLeafRef"] = canon
                continue  # SharePoint ignores writes to computed columns
            else:
                out[fld.internal_name] = canon
        return out, system

    def _apply_system(self, item: Item, system: dict[str, Any]) -> None:
        if system.get("Created"):
            item.created = _parse_wire(system["Created"])
        if system.get("Modified"):
            item.modified = _parse_wire(system["Modified"])
        if system.get("Author"):
            item.author_id = system["Author"]
        if system.get("Editor"):
            item.editor_id = system["Editor"]

    def add_item(
        self,
        values: dict[str, Any],
        *,
        editor: User | None = None,
        fs_obj_type: int = 0,
        file_ref: str | None = None,
        record: bool = True,
    ) -> Item:
        """Create an item from a wire write body; records an Add change."""
        vals, system = self._convert(values)
        now = self.site.tenant.now()
        uid = (editor or self.site.tenant.app_user).id
        item_id = self.next_id
        self.next_id += 1
        item = Item(
            item_id,
            vals,
            1,
            now,
            now,
            uid,
            uid,
            stable_guid(self.id, "item", str(item_id)),
            fs_obj_type,
        )
        item.file_ref = file_ref or f"{self.root_folder}/{item_id}_.000"
        self._apply_system(item, system)
        self.items[item_id] = item
        self.by_ref[item.file_ref.lower()] = item_id
        if record:
            self.site.record_change(self, item, 1)
        return item

    def update_item(
        self,
        id: int,
        values: dict[str, Any],
        *,
        if_match: str | None = None,
        editor: User | None = None,
    ) -> Item:
        """MERGE semantics: only the given properties change; bumps the version, records Update."""
        item = self.get_item(id)
        check_etag(item, if_match)
        vals, system = self._convert(values)
        if isinstance(system.get("FileLeafRef"), str) and self.is_library:
            self._rename(item, system["FileLeafRef"])  # first: a name taken changes nothing
        item.values.update(vals)
        item.version += 1
        item.modified = self.site.tenant.now()
        item.editor_id = (editor or self.site.tenant.app_user).id
        self._apply_system(item, system)
        self.site.record_change(self, item, 2)
        return item

    def _with_contents(self, item: Item) -> list[Item]:
        """The item and, for a folder, every file and folder under it."""
        if item.fs_obj_type != 1:
            return [item]
        prefix = item.file_ref.lower() + "/"
        return [item, *(it for it in self.items.values() if it.file_ref.lower().startswith(prefix))]

    def _rename(self, item: Item, name: str) -> None:
        """A file or folder renamed by writing its ``FileLeafRef``; a folder takes everything
        under it along. Only the renamed item is logged (by ``update_item``): SharePoint's
        change log has no row for what a renamed or moved folder holds (microsoftgraph/
        microsoft-graph-docs-contrib#6552: "A folder moved/renamed returns all the parent
        elements but not the descendants"; SharePoint/sp-dev-docs#5964 for a deleted one)."""
        old = item.file_ref
        new = f"{old.rsplit('/', 1)[0]}/{name.strip()}"
        if new.lower() == old.lower():
            return
        if new.lower() in self.by_ref:
            raise FileAlreadyExists(f"A file or folder with the name {new} already exists.")
        for it in self._with_contents(item):
            self.by_ref.pop(it.file_ref.lower(), None)
            it.file_ref = new + it.file_ref[len(old) :]
            self.by_ref[it.file_ref.lower()] = it.id

    def delete_item(self, id: int, *, if_match: str | None = None) -> None:
        """Delete (or recycle) an item and, for a folder, everything under it.

        Only the item named is logged: SharePoint Online's change log has one DeleteObject
        row for a deleted folder and none for the files and folders that went with it
        (SharePoint/sp-dev-docs#5964, a recorded getChanges answer after a folder of 20 files
        was deleted; #9039 says the same of a folder copied in: one Add for the folder).
        """
        item = self.get_item(id)
        check_etag(item, if_match)
        for it in self._with_contents(item):
            del self.items[it.id]
            self.by_ref.pop(it.file_ref.lower(), None)
            if it.file is not None:
                self.site.forget_file(it.file.unique_id)
        self.site.record_change(self, item, 3)

    def item_entity(
        self, item: Item, select: list[str] | None = None, expand: list[str] | None = None
    ) -> dict:
        return item_entity(self, item, select, expand)

    def query_items(self, **kwargs: Any) -> tuple[list[Item], int | None]:
        return query_items(self, **kwargs)

    def caml_query(
        self,
        view_xml: str,
        paging_info: str | None = None,
        folder_server_relative_url: str | None = None,
    ) -> tuple[list[Item], str | None]:
        return caml_query(self, view_xml, paging_info, folder_server_relative_url)

    # -- changes -----------------------------------------------------------------------------------

    def current_change_token(self) -> str:
        return make_token(
            SCOPE_LIST, self.id, self.site.tenant.now(), self.site.change_log.last_number
        )

    def get_changes(
        self,
        token_start: str | None = None,
        token_end: str | None = None,
        fetch_limit: int = 1000,
        kinds: set[str] | None = None,
        objects: set[str] | None = None,
    ) -> list[Change]:
        return self.site.change_log.query(
            objects=objects,
            scope=SCOPE_LIST,
            scope_guid=self.id,
            list_id=self.id,
            token_start=token_start,
            token_end=token_end,
            fetch_limit=min(fetch_limit or 1000, 2000),
            kinds=kinds,
        )


def _parse_wire(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
