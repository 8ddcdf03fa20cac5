"""Guards around every conversion: a value that cannot be represented is located, never raised.

A SharePoint cell can hold things no downstream store accepts: a lone UTF-16 surrogate (the state
database's UTF-8 encoder refuses it), C0 control characters (SharePoint's own XML writer refuses
them, so a write-back would fail with 400), an infinite or NaN float, a date whose conversion
overflows ``datetime``. ``convert`` runs one transform with these checks around it and returns
either the value or the reason, so the normalizer can quarantine the cell and go on.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from c3po_sync.normalize.errors import TransformError, UnknownValue
from c3po_sync.normalize.transforms import Transform

# Control characters XML 1.0 forbids (tab, LF and CR are allowed), DEL, and the noncharacters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Invisible characters that make two keys look equal on screen but differ byte-wise.
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# SharePoint's single line of text holds 255 characters, counted in UTF-16 code units
# (SHAREPOINT.md, Text field MaxLength).
KEY_MAX_UTF16 = 255

# Errors the standard library raises on hostile values (datetime overflow, huge exponents,
# bad encodings). Anything else is a bug and should surface in tests, not hide in quarantine.
CONVERSION_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    OverflowError,
    ArithmeticError,
    TypeError,
    UnicodeError,
    RecursionError,
)


def utf16_len(s: str) -> int:
    """Length as SharePoint counts it: characters outside the BMP take two units."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in s)


def text_problem(s: str) -> str | None:
    """Why a string cannot be stored or written back as is, or None."""
    m = _SURROGATE.search(s)
    if m:
        return f"contains a lone surrogate U+{ord(m.group()):04X} (not valid Unicode)"
    m = _CONTROL.search(s)
    if m:
        return f"contains control character U+{ord(m.group()):04X}"
    return None


def raw_problem(v: Any, depth: int = 0) -> str | None:
    """A problem in the raw wire value that no transform could handle safely."""
    if depth > 20:
        return "value nested too deeply"
    if isinstance(v, float) and not math.isfinite(v):
        return f"not a finite number ({v!r})"
    if isinstance(v, str) and _SURROGATE.search(v):
        return text_problem(v)
    if isinstance(v, dict):
        for k, x in v.items():
            p = raw_problem(k, depth + 1) or raw_problem(x, depth + 1)
            if p:
                return p
    if isinstance(v, list | tuple):
        for x in v:
            p = raw_problem(x, depth + 1)
            if p:
                return p
    return None


def value_problem(v: Any) -> str | None:
    """A problem in a converted value: unrepresentable text, a non-finite number."""
    if isinstance(v, str):
        return text_problem(v)
    if isinstance(v, float) and not math.isfinite(v):
        return f"not a finite number ({v!r})"
    if isinstance(v, list):
        for x in v:
            p = value_problem(x)
            if p:
                return p
    return None


def convert(fn: Transform, raw: Any) -> tuple[Any, TransformError | None]:
    """Runs one transform; returns ``(value, None)``, ``(None, error)`` or, for an unknown
    choice kept as typed, ``(raw value, error)``. Never raises on a bad value."""
    problem = raw_problem(raw)
    if problem:
        return None, TransformError(problem, "unrepresentable")
    try:
        out = fn(raw)
    except UnknownValue as exc:
        problem = value_problem(exc.value)
        return (None, TransformError(problem, "unrepresentable")) if problem else (exc.value, exc)
    except TransformError as exc:
        return None, exc
    except CONVERSION_ERRORS as exc:
        return None, TransformError(f"cannot convert: {type(exc).__name__}: {exc}")
    problem = value_problem(out)
    if problem:
        return None, TransformError(problem, "unrepresentable")
    return out, None


def fold_key(s: str) -> str:
    """The form keys are compared in: NFKC, zero-width characters and outer whitespace removed.

    NFKC makes full-width ``ＳＪ３１１`` and ``SJ311`` one key; ZERO_WIDTH removes what a copy
    from a web page or e-mail leaves behind (``SJ\u200b311``).
    """
    return ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", s)).strip()


def key_problem(key: str) -> str | None:
    """Why a cleaned key cannot be a project key (it is reported, never cut or altered)."""
    problem = text_problem(key)
    if problem:
        return f"project key {problem}"
    n = utf16_len(key)
    if n > KEY_MAX_UTF16:
        return (
            f"project key is {n} characters (UTF-16 units); SharePoint allows {KEY_MAX_UTF16}, "
            "and cutting it could merge two projects"
        )
    return None


def escape_for_report(s: str) -> str:
    """A string safe to store and show: surrogates and control characters as ``\\uXXXX``."""
    s = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", s)
