"""OData v3 `$filter` parser and evaluator for the subset SharePoint list items accept."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from c3po_sync.sandbox.errors import BadRequest

Getter = Callable[[str], Any]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<dt>datetime'(?P<dtv>[^']*)')
    | (?P<guid>guid'(?P<guidv>[^']*)')
    | (?P<str>'(?P<strv>(?:[^']|'')*)')
    | (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?[mMdDlLfF]?)
    | (?P<ident>[A-Za-z_][\w/.]*)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_CMP_OPS = {"eq", "ne", "lt", "le", "gt", "ge"}
_SWAP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


@dataclass(frozen=True)
class Compare:
    op: str  # eq ne lt le gt ge
    field: str
    value: Any


@dataclass(frozen=True)
class Func:
    name: str  # startswith, substringof (contains), endswith
    field: str
    value: str


@dataclass(frozen=True)
class IsNull:
    field: str
    negate: bool = False


@dataclass(frozen=True)
class In:
    field: str
    values: tuple


@dataclass(frozen=True)
class And:
    left: Predicate
    right: Predicate


@dataclass(frozen=True)
class Or:
    left: Predicate
    right: Predicate


@dataclass(frozen=True)
class Not:
    operand: Predicate


Predicate = Compare | Func | IsNull | In | And | Or | Not


def canonical_datetime(text: str) -> str:
    """Normalise an ISO timestamp (offset or Z; naive means UTC) to SharePoint's `…Z` wire form."""
    raw = text.strip()
    if raw.endswith("Z") or raw.endswith("z"):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"The DateTime value '{text}' is not valid.") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, Any]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m:
                raise self.error(f"syntax error at position {pos}")
            pos = m.end()
            if m.group("dt") is not None:
                self.tokens.append(("lit", canonical_datetime(m.group("dtv"))))
            elif m.group("guid") is not None:
                self.tokens.append(("lit", m.group("guidv").lower()))
            elif m.group("str") is not None:
                self.tokens.append(("lit", m.group("strv").replace("''", "'")))
            elif m.group("num") is not None:
                num = m.group("num").rstrip("mMdDlLfF")
                self.tokens.append(
                    ("lit", float(num) if any(c in num for c in ".eE") else int(num))
                )
            elif m.group("ident") is not None:
                word = m.group("ident")
                low = word.lower()
                if low in ("true", "false"):
                    self.tokens.append(("lit", low == "true"))
                elif low == "null":
                    self.tokens.append(("lit", None))
                elif low in _CMP_OPS or low in ("and", "or", "not"):
                    self.tokens.append(("kw", low))
                else:
                    self.tokens.append(("ident", word))
            else:
                self.tokens.append(("punct", m.group("punct")))
        self.i = 0

    def error(self, detail: str) -> BadRequest:
        return BadRequest(f'The expression "{self.text}" is not valid: {detail}.')

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end of expression")
        self.i += 1
        return tok

    def expect(self, kind: str, value: Any = None) -> Any:
        tok = self.take()
        if tok[0] != kind or (value is not None and tok[1] != value):
            raise self.error(f"expected {value or kind}, found {tok[1]!r}")
        return tok[1]

    def parse(self) -> Predicate:
        if not self.tokens:
            raise self.error("empty expression")
        pred = self.parse_or()
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected {extra[1]!r}")
        return pred

    def parse_or(self) -> Predicate:
        left = self.parse_and()
        while self.peek() == ("kw", "or"):
            self.i += 1
            left = Or(left, self.parse_and())
        return left

    def parse_and(self) -> Predicate:
        left = self.parse_unary()
        while self.peek() == ("kw", "and"):
            self.i += 1
            left = And(left, self.parse_unary())
        return left

    def parse_unary(self) -> Predicate:
        if self.peek() == ("kw", "not"):
            self.i += 1
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Predicate:
        tok = self.peek()
        if tok == ("punct", "("):
            self.i += 1
            pred = self.parse_or()
            self.expect("punct", ")")
            return pred
        if (
            tok
            and tok[0] == "ident"
            and self.i + 1 < len(self.tokens)
            and self.tokens[self.i + 1] == ("punct", "(")
        ):
            return self.parse_func()
        left = self.take()
        op = self.take()
        if op[0] != "kw" or op[1] not in _CMP_OPS:
            raise self.error(f"expected a comparison operator, found {op[1]!r}")
        right = self.take()
        if left[0] == "ident" and right[0] == "lit":
            return Compare(op[1], left[1], right[1])
        if left[0] == "lit" and right[0] == "ident":
            return Compare(_SWAP[op[1]], right[1], left[1])
        raise self.error("a comparison needs a field and a literal")

    def parse_func(self) -> Predicate:
        name = self.expect("ident").lower()
        self.expect("punct", "(")
        a = self.take()
        self.expect("punct", ",")
        b = self.take()
        self.expect("punct", ")")
        if name in ("startswith", "endswith") and a[0] == "ident" and b[0] == "lit":
            pred: Predicate = Func(name, a[1], str(b[1]))
        elif name == "substringof" and a[0] == "lit" and b[0] == "ident":
            pred = Func("substringof", b[1], str(a[1]))
        else:
            raise self.error(f"unsupported function call {name}")
        # `startswith(F,'x') eq true` is the explicit form of the same test.
        if self.peek() in (("kw", "eq"), ("kw", "ne")):
            op = self.take()[1]
            lit = self.expect("lit")
            if not isinstance(lit, bool):
                raise self.error("a function result compares only with true or false")
            if (op == "eq") != lit:
                pred = Not(pred)
        return pred


def parse_filter(text: str) -> Predicate:
    """Parse a `$filter` expression; raises BadRequest naming the expression on a syntax error."""
    return _Parser(text).parse()


def fields_in(pred: Predicate) -> set[str]:
    """Field paths the predicate reads, for validation and the list view threshold."""
    if isinstance(pred, And | Or):
        return fields_in(pred.left) | fields_in(pred.right)
    if isinstance(pred, Not):
        return fields_in(pred.operand)
    return {pred.field}


def _norm(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if isinstance(actual, list | tuple):
        hits = [_compare("eq", a, expected) for a in actual]
        if op == "eq":
            return any(hits)
        if op == "ne":
            return not any(hits)
        return any(_compare(op, a, expected) for a in actual)
    if actual is None or expected is None:
        if op == "eq":
            return actual is None and expected is None
        if op == "ne":
            return not (actual is None and expected is None)
        return False
    a, e = _coerce(actual, expected)
    try:
        if op == "eq":
            return a == e
        if op == "ne":
            return a != e
        if op == "lt":
            return a < e
        if op == "le":
            return a <= e
        if op == "gt":
            return a > e
        return a >= e
    except TypeError:
        return False


def _coerce(actual: Any, expected: Any) -> tuple[Any, Any]:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return bool(actual) if not isinstance(actual, str) else actual.lower() in (
            "1",
            "true",
        ), bool(expected)
    if isinstance(actual, int | float) and isinstance(expected, str):
        try:
            return actual, float(expected)
        except ValueError:
            return str(actual), expected.lower()
    if isinstance(actual, str) and isinstance(expected, int | float):
        try:
            return float(actual), expected
        except ValueError:
            return actual.lower(), str(expected)
    return _norm(actual), _norm(expected)


def evaluate(pred: Predicate, get: Getter) -> bool:
    """Evaluate against an item whose field values `get(path)` returns (lists mean any-of)."""
    if isinstance(pred, Compare):
        return _compare(pred.op, get(pred.field), pred.value)
    if isinstance(pred, And):
        return evaluate(pred.left, get) and evaluate(pred.right, get)
    if isinstance(pred, Or):
        return evaluate(pred.left, get) or evaluate(pred.right, get)
    if isinstance(pred, Not):
        return not evaluate(pred.operand, get)
    if isinstance(pred, IsNull):
        value = get(pred.field)
        empty = value is None or value == "" or value == []
        return empty != pred.negate
    if isinstance(pred, In):
        value = get(pred.field)
        return any(_compare("eq", value, v) for v in pred.values)
    value = get(pred.field)
    values = value if isinstance(value, list | tuple) else [value]
    needle = pred.value.lower()
    for v in values:
        if v is None:
            continue
        text = str(v).lower()
        if pred.name == "startswith" and text.startswith(needle):
            return True
        if pred.name == "endswith" and text.endswith(needle):
            return True
        if pred.name == "substringof" and needle in text:
            return True
    return False
