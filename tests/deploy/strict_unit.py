"""A strict reader of the systemd unit directives C3PO Sync ships, for where systemd is absent.

systemd itself ignores what it cannot parse with only a warning (a bad `TimeoutStopSec=` falls
back to 90 s; an `EnvironmentFile=-/path # comment` names a file that does not exist and its `-`
hides it), so every doubt here is an error. Rules from systemd.syntax(7) (comments only on their
own lines), systemd.time(7) (time spans), systemd.exec(7) and systemd.service(5).
"""

from __future__ import annotations

import re
from pathlib import Path

_SPAN_UNITS = (
    "usec|us|µs|msec|ms|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|"
    "days|day|d|weeks|week|w|months|month|M|years|year|y"
)
_SPAN = re.compile(rf"^(?:\d+(?:\.\d+)?\s*(?:{_SPAN_UNITS})?\s*)+$")
_BOOL = {"yes", "no", "true", "false", "on", "off", "1", "0"}
_MODE = re.compile(r"^0?[0-7]{3,4}$")
_ABS = re.compile(r"^/\S*$")

SPAN_KEYS = {"TimeoutStopSec", "TimeoutStartSec", "TimeoutSec", "RestartSec", "RuntimeMaxSec"}
BOOL_KEYS = {
    "NoNewPrivileges",
    "PrivateTmp",
    "PrivateDevices",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectControlGroups",
    "RestrictSUIDSGID",
    "LockPersonality",
    "Persistent",
}
CHOICES = {
    "Type": {"simple", "exec", "forking", "oneshot", "dbus", "notify", "idle"},
    "Restart": {
        "no",
        "on-success",
        "on-failure",
        "on-abnormal",
        "on-watchdog",
        "on-abort",
        "always",
    },
    "ProtectSystem": {"yes", "no", "full", "strict"},
    "ProtectHome": {"yes", "no", "read-only", "tmpfs"},
    "KillMode": {"control-group", "mixed", "process", "none"},
}
KNOWN = {
    "Unit": {"Description", "Documentation", "After", "Wants", "Requires", "Before"},
    "Service": {
        "Type",
        "User",
        "Group",
        "WorkingDirectory",
        "ExecStart",
        "LoadCredential",
        "StateDirectory",
        "StateDirectoryMode",
        "LogsDirectory",
        "LogsDirectoryMode",
        "UMask",
        "KillSignal",
        "KillMode",
        "EnvironmentFile",
        "Environment",
        *SPAN_KEYS,
        *BOOL_KEYS,
        "Restart",
        "ProtectSystem",
        "ProtectHome",
    },
    "Install": {"WantedBy"},
    "Timer": {"OnCalendar", "Persistent", "Unit", "RandomizedDelaySec"},
}


def _check_value(key: str, value: str) -> str | None:
    if re.search(r"\s[#;]", value):
        return "a comment after a value is part of the value (systemd.syntax(7))"
    if key in SPAN_KEYS and not (value == "infinity" or _SPAN.match(value)):
        return f"{value!r} is not a time span (systemd.time(7))"
    if key in BOOL_KEYS and value.lower() not in _BOOL:
        return f"{value!r} is not a boolean"
    if key in CHOICES and value not in CHOICES[key]:
        return f"{value!r} is not one of {sorted(CHOICES[key])}"
    if key in {"UMask", "StateDirectoryMode", "LogsDirectoryMode"} and not _MODE.match(value):
        return f"{value!r} is not an octal mode"
    if key in {"ExecStart", "WorkingDirectory"} and not _ABS.match(value.split()[0]):
        return "needs an absolute path"
    if key == "EnvironmentFile" and not _ABS.match(value.removeprefix("-")):
        return "needs one absolute path"
    if key == "LoadCredential" and not re.match(r"^[\w.-]+:/\S+$", value):
        return "needs ID:/absolute/path"
    if key == "KillSignal" and not re.match(r"^SIG[A-Z0-9]+$", value):
        return f"{value!r} is not a signal name"
    return None


def problems(path: Path) -> list[str]:
    """Every problem of the unit file, as `file:line: problem`; [] when it is clean."""
    out: list[str] = []
    section: str | None = None
    seen: dict[str, dict[str, str]] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        where = f"{path.name}:{n}"
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            if not line.endswith("]") or section not in KNOWN:
                out.append(f"{where}: unknown section {line}")
            seen.setdefault(section, {})
            continue
        key, eq, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or section is None:
            out.append(f"{where}: not a Key=Value line inside a section")
        elif key not in KNOWN.get(section, set()):
            out.append(f"{where}: {key}= is not a [{section}] directive this check knows")
        else:
            why = _check_value(key, value)
            if why:
                out.append(f"{where}: {key}={value}: {why}")
            seen[section][key] = value
    return out


def missing_required(path: Path, required: dict[str, str | None]) -> list[str]:
    """Directives the service must carry (None: any value), as `key: missing` lines."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        key, eq, value = raw.strip().partition("=")
        if eq and not raw.lstrip().startswith(("#", ";")):
            values[key.strip()] = value.strip()
    return [
        f"{key}: {'missing' if key not in values else f'is {values[key]!r}, expected {want!r}'}"
        for key, want in required.items()
        if key not in values or (want is not None and values[key] != want)
    ]
