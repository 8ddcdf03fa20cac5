"""Loads mappings/*.yaml and checks them against the canonical schema before anything runs."""

from __future__ import annotations

import difflib
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from c3po_sync.config.errors import ConfigError
from c3po_sync.config.located import YamlSyntaxError, line_of, read_yaml, validation_problems
from c3po_sync.model.schema import TABLES
from c3po_sync.normalize.errors import MappingError
from c3po_sync.normalize.mapping import (
    DOC_TYPES,
    SOURCE_COLUMNS,
    TARGETS,
    FieldSpec,
    MappingFile,
    SourceMapping,
)
from c3po_sync.normalize.transforms import DEFAULT_FOR_TYPE, OUTPUT_TYPES, TRANSFORMS

log = logging.getLogger(__name__)

# Canonical fields that a mapping sets through a rule rather than a `fields` entry.
_BY_RULE: dict[str, str] = {
    "project_key": "set it with `key:` (the project key rule)",
    "doc_type": "set it with `classify:`",
}
_DOC_ONLY = ("link", "library_url", "classify", "status_reports")


def _hint(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def effective_transform(m: SourceMapping, name: str, spec: FieldSpec) -> str:
    """The transform a field uses: the one named, else the default for its column's type."""
    if spec.transform is not None:
        return spec.transform
    return DEFAULT_FOR_TYPE[TABLES[m.target].column(name).type]


def _check_field(m: SourceMapping, name: str, spec: FieldSpec, at: str) -> list[str]:
    table = TABLES[m.target]
    if name in SOURCE_COLUMNS:
        return [f"{at}: {name!r} is filled from the record itself; remove it"]
    if name in _BY_RULE and (name != "doc_type" or m.target == "documents"):
        return [f"{at}: do not map {name!r} as a field; {_BY_RULE[name]}"]
    if name not in table.column_names:
        return [
            f"{at}: no such canonical field in table {table.name!r}"
            + _hint(name, table.column_names)
        ]
    col_type = table.column(name).type
    if spec.transform is not None and spec.transform not in TRANSFORMS:
        known = f"; known: {', '.join(TRANSFORMS)}"
        hint = _hint(spec.transform, TRANSFORMS)
        return [f"{at}.transform: unknown transform {spec.transform!r}{hint}{known}"]
    transform = effective_transform(m, name, spec)
    out = OUTPUT_TYPES[transform]
    problems = []
    if out != col_type and not (out == "int" and col_type == "float"):
        problems.append(
            f"{at}.transform: {transform!r} gives {out} but {table.name}.{name} is {col_type}"
        )
    if (spec.synonyms or spec.allowed) and transform != "choice":
        problems.append(f"{at}: `synonyms`/`allowed` apply only to transform 'choice'")
    if spec.terms and transform != "taxonomy":
        problems.append(f"{at}: `terms` applies only to transform 'taxonomy'")
    if spec.name_fallback and transform != "person":
        problems.append(f"{at}: `name_fallback` applies only to transform 'person'")
    if spec.separator != ";" and transform != "multi":
        problems.append(f"{at}: `separator` applies only to transform 'multi'")
    problems += _check_options(spec, transform, at)
    if spec.allowed:
        folded = {a.casefold() for a in spec.allowed}
        for src, dst in spec.synonyms.items():
            if dst.casefold() not in folded:
                problems.append(
                    f"{at}.synonyms.{src}: {dst!r} is not an allowed value"
                    + _hint(dst, spec.allowed)
                )
    return problems


_OPTION_TRANSFORMS: dict[str, tuple[str, ...]] = {
    "formats": ("date",),
    "excel_serial": ("date",),
    "exponent": ("number", "currency", "int"),
    "percent": ("number",),
    "minimum": ("number", "currency", "int"),
    "maximum": ("number", "currency", "int"),
    "unit": ("currency",),
}
_OPTION_NAMES = {"minimum": "min", "maximum": "max"}
_PROBE = datetime(2001, 2, 13, 14, 5, 6)


def _check_format(fmt: str) -> str | None:
    """Why a strptime format cannot read dates, or None: it must name day, month and year."""
    if "%" not in fmt:
        return "not a strptime format (write e.g. %d/%m/%Y)"
    try:
        back = datetime.strptime(_PROBE.strftime(fmt), fmt)
    except ValueError as exc:
        return f"not a usable date format: {exc}"
    if back.date() != _PROBE.date():
        return "does not name day, month and year (e.g. %d/%m/%Y)"
    return None


def _check_options(spec: FieldSpec, transform: str, at: str) -> list[str]:
    """Value-format options apply to their transforms only, and must be usable."""
    problems = []
    for opt, transforms in _OPTION_TRANSFORMS.items():
        if getattr(spec, opt) not in (None, False, []) and transform not in transforms:
            name = _OPTION_NAMES.get(opt, opt)
            problems.append(f"{at}.{name}: applies only to transform {' or '.join(transforms)}")
    for i, fmt in enumerate(spec.formats):
        why = _check_format(fmt)
        if why:
            problems.append(f"{at}.formats[{i}]: {fmt!r} {why}")
    lo, hi = spec.minimum, spec.maximum
    if lo is not None and hi is not None and lo > hi:
        problems.append(f"{at}.min: {lo} is above max {hi}")
    return problems


def _check_documents(m: SourceMapping, at: str) -> list[str]:
    problems = []
    if m.kind != "library":
        problems.append(f"{at}.kind: target 'documents' reads a library; set `kind: library`")
    if "column" in m.link and m.key is None:
        problems.append(f"{at}.link: rule 'column' needs `key:` naming the project key column")
    if not m.link:
        problems.append(f"{at}.link: give at least one rule of column, folder, name")
    c = m.classify
    if c is not None:
        named = [(f"{at}.classify.default", c.default)]
        named += [(f"{at}.classify.synonyms.{k}", v) for k, v in c.synonyms.items()]
        named += [(f"{at}.classify.content_types.{k}", v) for k, v in c.content_types.items()]
        named += [
            (f"{at}.classify.patterns[{i}].doc_type", p.doc_type) for i, p in enumerate(c.patterns)
        ]
        for where, doc_type in named:
            if doc_type not in DOC_TYPES:
                hint = _hint(doc_type, DOC_TYPES)
                problems.append(f"{where}: unknown doc_type {doc_type!r}{hint}")
    return problems


def validate_source(m: SourceMapping, at: str) -> list[str]:
    """Every located problem of one parsed source (empty when it is valid)."""
    if m.target not in TARGETS:
        return [
            f"{at}.target: unknown table {m.target!r}"
            + _hint(m.target, TARGETS)
            + f"; tables: {', '.join(TARGETS)}"
        ]
    problems: list[str] = []
    for name, spec in m.fields.items():
        problems += _check_field(m, name, spec, f"{at}.fields.{name}")
    if m.time_zone is not None:
        try:
            ZoneInfo(m.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"{at}.time_zone: unknown time zone {m.time_zone!r}")
    if m.target == "projects" and m.key is None:
        problems.append(f"{at}.key: a projects source needs `key:` (the project key column)")
    if m.target == "documents":
        problems += _check_documents(m, at)
    else:
        for opt in _DOC_ONLY:
            if getattr(m, opt):
                problems.append(f"{at}.{opt}: applies only to target 'documents'")
    return problems


def _load_file(path: Path) -> tuple[list[SourceMapping], list[ConfigError]]:
    try:
        data, lines = read_yaml(path)
    except YamlSyntaxError as exc:
        return [], [ConfigError(path, "", exc.what, exc.line)]
    if not isinstance(data, dict):
        return [], [ConfigError(path, "", "expected a mapping with a `sources:` list")]
    try:
        parsed = MappingFile.model_validate(data)
    except ValidationError as exc:
        return [], [
            ConfigError(path, key, msg, line) for key, line, msg in validation_problems(exc, lines)
        ]
    problems: list[ConfigError] = []
    for i, m in enumerate(parsed.sources):
        at = f"sources[{i}]"
        m._origin = f"{path}: {at}"
        m._file = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
        for p in validate_source(m, at):
            # The checks above write "key: problem", the key first and free of ": ".
            key, _, problem = p.partition(": ")
            problems.append(ConfigError(path, key, problem, line_of(lines, key)))
    return list(parsed.sources), problems


def load_mappings(path: Path) -> list[SourceMapping]:
    """Loads every mapping file (a directory's *.yaml in name order, or one file) and validates it.

    Raises:
        MappingError: listing every problem, each located by file and key.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise MappingError([ConfigError(path, "", "no mapping files (*.yaml) found")])
    elif path.is_file():
        files = [path]
    else:
        raise MappingError([ConfigError(path, "", "no such mapping file or directory")])
    mappings: list[SourceMapping] = []
    problems: list[ConfigError] = []
    seen: dict[tuple[str, str], str] = {}
    for f in files:
        found, errs = _load_file(f)
        problems += errs
        for m in found:
            if m.match_key in seen:
                file, _, key = m.origin.rpartition(": ")
                problems.append(
                    ConfigError(
                        file,
                        key,
                        f"duplicate source {m.ref} (already mapped in {seen[m.match_key]})",
                    )
                )
            else:
                seen[m.match_key] = m.origin
                mappings.append(m)
    if problems:
        raise MappingError(problems)
    log.debug("loaded %d source mappings from %d files", len(mappings), len(files))
    return mappings
