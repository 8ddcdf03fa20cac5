"""Mapping files: loading, located validation errors, required columns and schema drift."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from c3po_sync.normalize import (
    MappingError,
    SchemaDriftError,
    check_drift,
    expand_columns,
    load_mappings,
    required_columns,
)
from c3po_sync.sources.base import FieldInfo, SourceRef
from tests.shared_fixtures import PNP_MOCK_DATA, needs_recordings

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings"
RECORDED = PNP_MOCK_DATA

FINANCE = """\
sources:
  - site: /sites/ppm-finance
    list: Project List
    target: projects
    key: ProjectCode
    fields:
      title: Title
      {extra}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    d = tmp_path / "mappings"
    d.mkdir(exist_ok=True)
    (d / name).write_text(textwrap.dedent(text))
    return d


def finance(tmp_path: Path, extra: str) -> Path:
    return write(tmp_path, "ppm-finance.yaml", FINANCE.replace("{extra}", extra))


def problems(path: Path, lines: bool = False) -> list[str]:
    """The located problems; without ``lines``, the ``:LINE`` after the file name left out."""
    with pytest.raises(MappingError) as info:
        load_mappings(path)
    found = [str(p) for p in info.value.problems]
    return found if lines else [re.sub(r"\.yaml:\d+: ", ".yaml: ", p) for p in found]


def test_problems_give_the_line_of_the_key(tmp_path):
    """A problem names the line it is on, or its parent's when the key is missing (issue 13)."""
    d = finance(tmp_path, "budgett: {column: Cost, transform: currency}")
    text = (d / "ppm-finance.yaml").read_text().splitlines()
    (found,) = problems(d, lines=True)
    line = int(found.split(".yaml:", 1)[1].split(":", 1)[0])
    assert text[line - 1].strip().startswith("budgett:")


def test_short_and_long_field_forms(tmp_path):
    d = finance(tmp_path, "budget: {column: Cost, transform: currency}\n      start_date: Kickoff")
    (m,) = load_mappings(d)
    assert m.ref == SourceRef("/sites/ppm-finance", "Project List", "list")
    assert m.target == "projects"
    assert m.fields["title"].column == "Title" and m.fields["title"].transform is None
    assert m.fields["budget"].transform == "currency"
    assert m.origin == f"{d / 'ppm-finance.yaml'}: sources[0]"


def test_unknown_canonical_field_is_located_with_a_suggestion(tmp_path):
    d = finance(tmp_path, "budgett: {column: Cost, transform: currency}")
    assert problems(d) == [
        f"{d / 'ppm-finance.yaml'}: sources[0].fields.budgett: no such canonical field in "
        "table 'projects' (did you mean 'budget'?)"
    ]


def test_unknown_transform_wrong_type_and_stray_options(tmp_path):
    d = finance(
        tmp_path,
        "budget: {column: Cost, transform: curency}\n"
        "      departments: {column: Depts, transform: person}\n"
        "      vendor: {column: VendorName, synonyms: {a: b}}",
    )
    found = problems(d)
    assert any(
        "sources[0].fields.budget.transform: unknown transform 'curency' (did you mean 'currency'?)"
        in p
        for p in found
    )
    assert any(
        "fields.departments.transform: 'person' gives str but projects.departments is list" in p
        for p in found
    )
    assert any(
        "fields.vendor: `synonyms`/`allowed` apply only to transform 'choice'" in p for p in found
    )


def test_wrong_target_table_and_missing_key(tmp_path):
    d = write(
        tmp_path,
        "x.yaml",
        """\
        sources:
          - {site: /sites/a, list: L, target: project, fields: {title: Title}}
          - {site: /sites/a, list: M, target: projects, fields: {title: Title}}
        """,
    )
    found = problems(d)
    where = f"{d / 'x.yaml'}: sources[0].target"
    assert found[0].startswith(f"{where}: unknown table 'project' (did you mean 'projects'?)")
    assert found[1] == (
        f"{d / 'x.yaml'}: sources[1].key: a projects source needs `key:` (the project key column)"
    )


def test_duplicate_source_across_files_names_both(tmp_path):
    finance(tmp_path, "")
    d = write(
        tmp_path,
        "zz-other.yaml",
        """\
        sources:
          - {site: /sites/PPM-Finance/, list: project list, target: projects, key: Code}
        """,
    )
    (p,) = problems(d)
    assert p.startswith(f"{d / 'zz-other.yaml'}: sources[0]: duplicate source")
    assert f"already mapped in {d / 'ppm-finance.yaml'}: sources[0]" in p


def test_pydantic_errors_are_located(tmp_path):
    d = write(
        tmp_path,
        "bad.yaml",
        """\
        sources:
          - site: /sites/a
            list: L
            target: assets
            kind: folder
            fields: {name: {colum: Title}}
        """,
    )
    found = problems(d)
    assert any(p.startswith(f"{d / 'bad.yaml'}: sources[0].kind:") for p in found)
    assert any(p.startswith(f"{d / 'bad.yaml'}: sources[0].fields.name.colum:") for p in found)


def test_document_rules_are_checked(tmp_path):
    d = write(
        tmp_path,
        "docs.yaml",
        """\
        sources:
          - site: /sites/a
            list: Documents
            target: documents
            link: [column]
        """,
    )
    text = "\n".join(problems(d))
    assert "sources[0].kind: target 'documents' reads a library; set `kind: library`" in text
    assert "sources[0].link: rule 'column' needs `key:` naming the project key column" in text


def test_bad_regex_is_located(tmp_path):
    d = write(
        tmp_path,
        "docs.yaml",
        """\
        sources:
          - site: /sites/a
            list: Documents
            kind: library
            target: documents
            link: [folder]
            classify: {patterns: [{regex: "(", doc_type: other}]}
        """,
    )
    (p,) = problems(d)
    assert p.startswith(f"{d / 'docs.yaml'}: sources[0].classify.patterns[0]: ")
    assert "not a regular expression" in p


def test_document_doc_types_are_checked(tmp_path):
    d = write(
        tmp_path,
        "docs.yaml",
        """\
        sources:
          - site: /sites/a
            list: Documents
            kind: library
            target: documents
            link: [folder]
            classify:
              patterns: [{glob: "*Charter*", doc_type: chartr}]
        """,
    )
    (p,) = problems(d)
    assert p.endswith(
        "sources[0].classify.patterns[0].doc_type: unknown doc_type 'chartr'"
        " (did you mean 'charter'?)"
    )


def test_demo_mappings_load_and_validate():
    ms = load_mappings(MAPPINGS)
    refs = {(m.ref.site, m.ref.list_title, m.target) for m in ms}
    assert refs == {
        ("/sites/ppm-community", "Projects", "projects"),
        ("/sites/ppm-community", "Project Documents", "documents"),
        ("/sites/ppm-finance", "Project List", "projects"),
        ("/sites/ppm-finance", "Documents", "documents"),
        ("/sites/ppm-planning", "Projects", "projects"),
        ("/sites/ppm-planning", "Project Documents", "documents"),
        ("/sites/itd", "IT Asset Inventory", "assets"),
    }


def test_required_columns_select_only_mapped_and_expand_people():
    ms = {(m.site, m.list_title): m for m in load_mappings(MAPPINGS)}
    fin = ms[("/sites/ppm-finance", "Project List")]
    cols = required_columns(fin)
    assert "ProjectCode" in cols and "Cost" in cols
    assert "PPM/EMail" in cols and "PPM/Title" in cols and "PPM" not in cols
    assert "OData__Comments" not in cols  # not mapped, so not read
    assert len(cols) == len(set(cols))
    assert set(expand_columns(fin)) == {
        "PPM",
        "PPMSupervisor",
        "BusinessOwner",
        "ExecSponsor",
        "Liaison",
    }
    docs = ms[("/sites/ppm-planning", "Project Documents")]
    assert {"FileRef", "FileLeafRef", "FSObjType", "ProjectKey", "DocType", "Editor/EMail"} <= set(
        required_columns(docs)
    )


def _fields(*pairs: tuple[str, str]) -> list[FieldInfo]:
    return [FieldInfo(n, t, "Text") for n, t in pairs]


def test_drift_names_site_list_column_and_suggestions(tmp_path):
    d = finance(tmp_path, "budget: {column: Project_x0020_Budget, transform: currency}")
    (m,) = load_mappings(d)
    fields = _fields(
        ("Title", "Title"), ("ProjectCode", "Project Code"), ("ProjectBudget", "Project Budget")
    )
    with pytest.raises(SchemaDriftError) as info:
        check_drift(m, fields)
    e = info.value
    assert (e.site, e.list_title, e.column) == (
        "/sites/ppm-finance",
        "Project List",
        "Project_x0020_Budget",
    )
    assert e.suggestions == ["ProjectBudget"]
    assert str(e) == (
        f"{d / 'ppm-finance.yaml'}: sources[0]: field `budget` → column `Project_x0020_Budget` "
        "does not exist on /sites/ppm-finance/Project List (did you mean `ProjectBudget`?)"
    )


def test_drift_suggests_by_display_title(tmp_path):
    d = finance(tmp_path, "budget: {column: Budget, transform: currency}")
    (m,) = load_mappings(d)
    fields = _fields(("Title", "Title"), ("ProjectCode", "Code"), ("OData__x0042_", "Budget"))
    with pytest.raises(SchemaDriftError) as info:
        check_drift(m, fields)
    assert info.value.suggestions == ["OData__x0042_"]


def test_drift_passes_when_columns_exist(tmp_path):
    d = finance(tmp_path, "budget: Cost")
    (m,) = load_mappings(d)
    check_drift(m, _fields(("Title", "Title"), ("ProjectCode", "Code"), ("Cost", "Cost")))


@needs_recordings
def test_drift_against_recorded_field_list(tmp_path):
    """Field definitions as SharePoint Online really lists them (InternalName vs Title)."""
    body = (RECORDED / "ListItemTests" / "RegularRestUpdateTest-2-00002.response.json").read_text()
    fields = [
        FieldInfo(f["InternalName"], f["Title"], f["TypeAsString"])
        for f in json.loads(json.loads(body)["Response"])["Fields"]
    ]
    d = write(
        tmp_path,
        "rec.yaml",
        """\
        sources:
          - site: /sites/prov-2
            list: PNP_SDK_TEST_RegularRestUpdateTest
            target: assets
            fields: {name: Text1, annual_cost: {column: Curency1, transform: currency}}
        """,
    )
    (m,) = load_mappings(d)
    with pytest.raises(SchemaDriftError) as info:
        check_drift(m, fields)
    assert info.value.column == "Curency1"
    assert info.value.suggestions[0] == "Currency1"


def test_demo_mappings_match_the_demo_tenant():
    """Every mapped column exists on the demo tenant's lists (no drift on day one)."""
    tenant_mod = pytest.importorskip("c3po_sync.sandbox.model")
    tenant = tenant_mod.Tenant.from_file(ROOT / "c3po_sync/sandbox/tenants/demo.yaml")
    for m in load_mappings(MAPPINGS):
        lst = tenant.sites[m.site.lower()].list_by_title(m.list_title)
        check_drift(m, [FieldInfo(f.internal_name, f.title, f.kind) for f in lst.fields])
