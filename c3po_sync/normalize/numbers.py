"""Numbers, amounts and percentages as people type them into text columns; never a silent change.

Parsing goes through ``Decimal`` so that a value too large for a float (a 401-digit number,
``1e400``) or so small it would round to zero is reported as out of range instead of becoming
``inf`` or ``0.0``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from c3po_sync.normalize.errors import TransformError

Transform = Callable[[Any], Any]

_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
_EXP = r"(?:[eE][+-]?\d+)"
_NUMBER = re.compile(rf"^[+-]?(?:{_DIGITS})$")
_NUMBER_EXP = re.compile(rf"^[+-]?(?:{_DIGITS}){_EXP}?$")
_SUFFIX = r"k|thousand|m|mm|mil|million|b|bn|billion"
_CURRENCY = re.compile(
    rf"""^\s*(?P<neg1>-|\()?\s*(?:USD|US\$|\$)?\s*(?P<neg2>-)?\s*
    (?P<num>(?:{_DIGITS})(?P<exp>{_EXP})?)\s*
    (?:(?P<suf>{_SUFFIX})|\(\s*\$?\s*(?P<psuf>{_SUFFIX})\s*\))?\s*(?:USD)?\s*(?P<close>\))?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_MULTIPLIERS = {
    None: 1,
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
# A column's unit (mapping option ``unit``): what a bare amount in it counts. Feeds such as the
# U.S. IT Dashboard write costs in $ millions ("15.297" is $15,297,000).
UNITS: dict[str, int] = {
    "ones": 1,
    "thousands": 1_000,
    "millions": 1_000_000,
    "billions": 1_000_000_000,
}


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def short(raw: Any, limit: int = 40) -> str:
    """``repr`` of a raw value, shortened for a reason message (the raw value is stored apart)."""
    r = (
        repr(raw)
        if not isinstance(raw, int) or abs(raw) < 10**limit
        else f"<{len(str(raw))} digits>"
    )
    return r if len(r) <= limit else r[: limit - 1] + "…"


def to_float(d: Decimal | int | float, raw: Any) -> float:
    """A float equal to ``d`` as far as a float can be, or out_of_range; never inf or a lost 0."""
    raw = short(raw)
    try:
        f = float(d)
    except OverflowError as exc:
        raise TransformError(f"number {raw} is too large", "out_of_range") from exc
    if not math.isfinite(f):
        raise TransformError(f"number {raw} is too large (or not finite)", "out_of_range")
    if f == 0 and d != 0:
        raise TransformError(f"number {raw} is too small to represent", "out_of_range")
    return f


def _plain(v: Any, what: str) -> float | None:
    """Numbers on the wire (int, float); None when ``v`` is text; errors for anything else."""
    if isinstance(v, bool):
        raise TransformError(f"expected {what}, got a boolean")
    if isinstance(v, int | float):
        return to_float(v, v)
    if not isinstance(v, str):
        raise TransformError(f"expected {what}, got {type(v).__name__}")
    return None


def make_number(exponent: bool = False, percent: bool = False) -> Transform:
    """Plain numbers (``67,687``); with ``exponent`` also ``1.2E+06``; with ``percent``
    ``45%`` gives 0.45 (a bare number is taken as written)."""
    pattern = _NUMBER_EXP if exponent else _NUMBER

    def convert(v: Any) -> float | None:
        if _is_empty(v):
            return None
        f = _plain(v, "a number")
        if f is not None:
            return f
        s = v.strip()
        scale = 1
        if percent and s.endswith("%"):
            s, scale = s[:-1].rstrip(), 100
        if pattern.match(s):
            return to_float(Decimal(s.replace(",", "")) / scale, v)
        hint = "" if exponent or not _NUMBER_EXP.match(s) else " (set `exponent: true`)"
        hint = hint or (" (set `percent: true`)" if not percent and s.endswith("%") else "")
        raise TransformError(f"not a number: {v!r}{hint}")

    return convert


def make_currency(exponent: bool = False, unit: str | None = None) -> Transform:
    """What people type into a Text "Cost" column: $1,200,000 · 1.2M · $3.5 million · (1,000)
    · 2.306 ($m).

    ``unit`` (``thousands``, ``millions``, ...) is what a bare amount counts, for columns kept
    in $ millions: ``15.297`` (text or number) is 15,297,000. An amount that names its own unit
    (``1.2M``, ``$950K``, ``2.306 ($m)``) is read in that unit, never scaled twice.
    """
    scale = UNITS[unit or "ones"]

    def convert(v: Any) -> float | None:
        if _is_empty(v):
            return None
        f = _plain(v, "an amount")
        if f is not None:
            # repr is the shortest text of the float: 15.297 scales to 15297000, not ...0002
            return f if scale == 1 else to_float(Decimal(repr(f)) * scale, v)
        m = _CURRENCY.match(v)
        if m and (m["neg1"] == "(") == bool(m["close"]) and (exponent or not m["exp"]):
            suf = m["suf"] or m["psuf"]
            mult = _MULTIPLIERS[suf.lower()] if suf else scale
            try:
                amount = Decimal(m["num"].replace(",", "")) * mult
            except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
                raise TransformError(f"not an amount: {v!r}") from exc
            negative = m["neg1"] in ("-", "(") or m["neg2"] == "-"
            return to_float(-amount if negative else amount, v)
        raise TransformError(f"not an amount: {v!r} (expected e.g. $1,200,000, 1.2M or $950K)")

    return convert


def make_int(exponent: bool = False) -> Transform:
    number = make_number(exponent)

    def convert(v: Any) -> int | None:
        f = number(v)
        if f is None:
            return None
        if not f.is_integer():
            raise TransformError(f"not a whole number: {v!r}")
        return int(f)

    return convert


def with_range(fn: Transform, minimum: float | None, maximum: float | None) -> Transform:
    """Wraps a numeric transform: a value outside the mapping's range is quarantined, so a
    negative or absurd budget never reaches a sum."""
    if minimum is None and maximum is None:
        return fn

    def convert(v: Any) -> Any:
        out = fn(v)
        if out is None:
            return None
        if minimum is not None and out < minimum:
            raise TransformError(
                f"{out:,.2f} is below the allowed minimum {minimum:,}", "out_of_range"
            )
        if maximum is not None and out > maximum:
            raise TransformError(
                f"{out:,.2f} is above the allowed maximum {maximum:,}", "out_of_range"
            )
        return out

    return convert
