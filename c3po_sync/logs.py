"""Logging set-up: one format everywhere, and secrets never reach a log line."""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from c3po_sync.private_files import private_file

_SECRET_PATTERNS = [
    re.compile(
        r"-----BEGIN (?:[A-Z ]*)PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S
    ),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|id_token|client_secret|client_assertion|password"
        r"|passphrase|secret|private_key|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s\"'&,}]+"
    ),
    # Credentials in a URL: scheme://user:secret@host -> scheme://user:***@host
    re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s@/'\"]+(?=@)"),
    # A JWT anywhere (three base64url parts, the first a JSON header)
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
]
# Environment variables whose values are secrets wherever they show up.
SECRET_ENV_VARS = ("C3PO_CERT_PEM", "C3PO_CERT_PASSPHRASE", "C3PO_CLIENT_SECRET")
_MIN_SECRET_LEN = 6


def _env_secrets() -> list[str]:
    return [
        v
        for name in SECRET_ENV_VARS
        if len(v := os.environ.get(name, "").strip()) >= _MIN_SECRET_LEN
    ]


def _masked(m: re.Match[str]) -> str:
    return (m.group(1) if m.re.groups and m.group(1) else "") + "***"


def redact(text: str) -> str:
    """Masks private keys, bearer tokens, JWTs, secret-looking pairs, credentials in URLs
    and secret env values: the one masking function for logs and every output."""
    for secret in _env_secrets():
        text = text.replace(secret, "***")
    for pat in _SECRET_PATTERNS:
        text = pat.sub(_masked, text)
    return text


class RedactingFormatter(logging.Formatter):
    """The human format: ``time LEVEL logger: message``, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line (time, level, logger, message, exception), redacted."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(
    level: int = logging.WARNING,
    *,
    json_lines: bool = False,
    file: Path | None = None,
    file_level: int | None = None,
) -> None:
    """Stderr at ``level``; optionally a file too (at ``file_level``, default ``level``)."""
    formatter: logging.Formatter = (
        JsonFormatter() if json_lines else RedactingFormatter(HUMAN_FORMAT)
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.setLevel(level)
    handlers: list[logging.Handler] = [handler]
    if file is not None:
        private_file(file)  # 0600 in a 0700 folder: logs name projects, sites and people
        fh = logging.FileHandler(file, encoding="utf-8")
        fh.setFormatter(formatter)
        fh.setLevel(file_level if file_level is not None else level)
        handlers.append(fh)
    root = logging.getLogger()
    for old in root.handlers:
        if old not in handlers:
            old.close()
    root.handlers[:] = handlers
    root.setLevel(min(h.level for h in handlers))
    # Third-party chatter stays at WARNING unless debugging.
    for noisy in ("urllib3", "msal", "apscheduler.executors", "office365"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING) if level > 10 else level)
