"""Logging set-up: one format everywhere, and secrets never reach a log line."""

from __future__ import annotations

import logging
import re

_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(
        r"(?i)((?:access_token|client_secret|client_assertion|password)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s\"'&,]+"
    ),
]


def redact(text: str) -> str:
    """Masks bearer tokens and secret-looking key/value pairs."""
    for pat in _SECRET_PATTERNS:
        text = pat.sub(r"\1***", text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: int = logging.WARNING) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
