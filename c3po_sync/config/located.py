"""Where in a YAML file a problem is: its line, from the parsed node tree, for every loader.

PyYAML's own messages name a string read from memory ``"<unicode string>"``; these helpers
name the file instead, and give each key the line it is written on, so `validate` can say
``config/sandbox.yaml:14: time_zone: ...`` for every problem at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from c3po_sync.errors import C3POError

KeyPath = tuple[str | int, ...]


class YamlSyntaxError(C3POError, ValueError):
    """A file is not valid YAML: names the file, the line and column, and PyYAML's problem."""

    def __init__(self, path: Path | str, exc: yaml.YAMLError) -> None:
        mark = getattr(exc, "problem_mark", None)
        self.path = str(path)
        self.line: int | None = mark.line + 1 if mark else None
        self.column: int | None = mark.column + 1 if mark else None
        self.problem = str(getattr(exc, "problem", None) or exc).replace("<unicode string>", "")
        context = getattr(exc, "context", None)
        if context:
            self.problem = f"{context}, {self.problem}"
        col = f" (column {self.column})" if self.column else ""
        self.what = f"not valid YAML{col}: {self.problem}"
        super().__init__(f"{self.path}:{self.line}: {self.what}" if self.line else self.what)


def read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    """The file's data and the line (1-based) of each key and list item in it.

    Raises:
        OSError: the file cannot be read.
        YamlSyntaxError: it is not YAML; the message names the file, line and column.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        data, node = _parse(text, _FAST_LOADER)
    except yaml.YAMLError:
        try:  # PyYAML's own parser: its message (and its answer) as before
            data, node = _parse(text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            raise YamlSyntaxError(path, exc) from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


# libyaml's parser when PyYAML was built with it: a run reads about 30 YAML files (mappings,
# settings, jobs, rules) before its first step, and the pure-Python parser, run twice per file
# (data, then nodes for the lines), cost about 0.3 CPU s of a new day's nightly.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str, loader_cls: Any) -> tuple[Any, yaml.Node | None]:
    """The document's data and its node tree, parsed once (``yaml.safe_load`` builds the data
    from the same nodes: ``get_single_data``)."""
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def _walk(node: yaml.Node, at: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*at, str(key.value))
            lines[path] = key.start_mark.line + 1
            _walk(value, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*at, i)] = item.start_mark.line + 1
            _walk(item, (*at, i), lines)


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_key(dotted: str) -> KeyPath:
    """``"sources[0].columns.title"`` -> ``("sources", 0, "columns", "title")``."""
    return tuple(int(i) if i else name for name, i in _PART.findall(dotted))


def line_of(lines: dict[KeyPath, int], key: KeyPath | str) -> int | None:
    """The line of ``key`` or of its nearest written ancestor (a missing key's parent)."""
    path = parse_key(key) if isinstance(key, str) else tuple(key)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def dotted(loc: tuple[Any, ...]) -> str:
    """A pydantic location as the key a person writes: ``sources[0].columns``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_problems(
    exc: ValidationError, lines: dict[KeyPath, int]
) -> list[tuple[str, int | None, str]]:
    """Every pydantic error as (key, line, message), in file order, each once."""
    out: list[tuple[str, int | None, str]] = []
    for e in exc.errors():
        # Tagged unions add the tag to the location (tenant.auth.certificate.client_id).
        loc = tuple(p for p in e["loc"] if p not in ("sandbox", "certificate"))
        key = dotted(loc)
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e.get("type") == "extra_forbidden":
            msg = "unknown key (check the spelling against the documentation)"
        elif e.get("type") == "missing":
            msg = "required key is missing"
        item = (key, line_of(lines, loc), msg)
        if item not in out:
            out.append(item)
    return sorted(out, key=lambda p: p[1] or 0)


def check_time_zone(value: str) -> str:
    """An IANA time zone name, or a ValueError saying what is expected (one definition for
    settings, jobs and mappings: an unknown zone is a config error, not a run-time traceback)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone, e.g. America/Los_Angeles") from None
    return value
