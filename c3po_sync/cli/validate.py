"""`c3po-sync validate`: every config file checked at once, each problem located, secrets masked."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from rich.console import Console

from c3po_sync.logs import redact

if TYPE_CHECKING:
    from c3po_sync.config.errors import ConfigError

FIXES = {
    "settings": "edit the key in {file}; every key is described in docs/configuration.md",
    "certificate": "see docs/admin-guide.md, 'Make and upload a certificate'",
    "job": "edit the key in {file}; see docs/admin-guide.md, 'Jobs and the schedule'",
    "mapping": "edit the mapping in {file}; see docs/mappings.md",
    "rules": "edit the key in {file}; see docs/rules.md",
}


@dataclass(frozen=True)
class Problem:
    kind: str
    file: str
    key: str
    problem: str
    line: int | None = None
    hint: str = ""  # the located error's own fix, when it names one

    @property
    def where(self) -> str:
        """``file:line`` as editors and grep read it (the line where YAML gives one)."""
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def fix(self) -> str:
        return self.hint or FIXES[self.kind].format(file=self.file)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "problem": redact(self.problem),
            "fix": self.fix,
        }


@dataclass
class ValidationReport:
    config: Path
    problems: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        kind: str,
        file: object,
        key: str,
        problem: str,
        line: int | None = None,
        hint: str = "",
    ) -> None:
        """Records a problem once: the same problem found twice is reported once."""
        found = Problem(kind, str(file), key, problem, line, hint)
        if found not in self.problems:
            self.problems.append(found)

    def add_config_error(self, kind: str, e: ConfigError) -> None:
        """A located error (settings, job, mapping or rules), with every problem it carries."""
        for p in getattr(e, "problems", None) or [e]:
            self.add(kind, p.file, p.key, p.problem, p.line, p.fix)

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": str(self.config),
            "ok": not self.problems,
            "problems": [p.as_dict() for p in self.problems],
            "summary": self.summary,
        }

    def render(self, out: Console, err: Console) -> None:
        if not self.problems:
            s = self.summary
            out.print(
                f"[green]ok[/green]: {self.config} — tenant {s.get('tenant')}, "
                f"auth {s.get('auth', {}).get('mode')}, {s.get('sources', 0)} sources mapped, "
                f"jobs: {', '.join(s.get('jobs', []))}"
            )
            for rule_id, why in s.get("not_checked", {}).items():
                out.print(f"not checked: {rule_id} — {why}", markup=False, highlight=False)
            return
        err.print(
            f"{len(self.problems)} problem(s) in the configuration ({self.config}):",
            markup=False,
            highlight=False,
        )
        for p in self.problems:  # one line each: for people, logs and grep alike
            d = p.as_dict()
            err.print(
                f"{p.where}: {d['key'] or '(file)'}: {d['problem']} — fix: {d['fix']}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def mask(value: str | None, keep: int = 4) -> str | None:
    """Shows only the first ``keep`` characters: enough to recognise, not to use."""
    if not value:
        return value
    return value[:keep] + "…" if len(value) > keep else "***"


def validate_all(config: Path) -> ValidationReport:
    """Loads settings, certificate, jobs, mappings and rules; collects every problem found."""
    from c3po_sync.config.errors import ConfigError
    from c3po_sync.config.jobs import load_job
    from c3po_sync.config.settings import CertificateAuth, load_settings
    from c3po_sync.normalize import MappingError, load_mappings
    from c3po_sync.pipeline.prepare import check_retention
    from c3po_sync.rules import RulesConfigError, load_rules_config, not_checked

    report = ValidationReport(Path(config))
    try:
        s = load_settings(config)
    except ConfigError as e:
        report.add_config_error("settings", e)
        # The other files are found through the settings: check them where the file says.
        s = _paths_only(Path(config))
        if s is None:
            return report
    else:
        auth = s.tenant.auth
        report.summary = {
            "tenant": _mask_url(s.tenant.base_url),
            "hub_site": s.hub_site,
            "auth": _masked_auth(auth),
            "state_url": _mask_url(s.resolved_state_url),
            "job_store_url": _mask_url(s.resolved_job_store_url),
        }
        if isinstance(auth, CertificateAuth):
            _check_certificate(report, s, auth)
        _check_url(report, config, "state_url", s.resolved_state_url)
        _check_writable_dir(report, config, "output_dir", s.resolve(s.output_dir))
        if s.logging.file:
            _check_writable_dir(report, config, "logging.file", s.resolve(s.logging.file).parent)
    jobs_dir = s.resolve(s.jobs_dir)
    jobs: list[str] = []
    if not jobs_dir.is_dir():
        report.add("settings", config, "jobs_dir", f"{jobs_dir}: directory not found")
    else:
        for f in sorted(jobs_dir.glob("*.yaml")):
            try:
                jobs.append(load_job(f).id)
            except ConfigError as e:
                report.add_config_error("job", e)
    report.summary["jobs"] = jobs
    try:
        report.summary["sources"] = len(load_mappings(s.resolve(s.mappings_dir)))
    except MappingError as e:
        report.add_config_error("mapping", e)
    try:
        rules = load_rules_config(s.resolve(s.rules_file))
    except RulesConfigError as e:
        report.add_config_error("rules", e)
    else:
        try:
            if hasattr(s, "retention"):  # not when the settings file itself failed
                check_retention(s, rules)
        except ConfigError as e:
            report.add_config_error("settings", e)
        # Checks the settings leave unable to run: reported, never counted as compliant.
        report.summary["not_checked"] = not_checked(rules)
    return report


def _paths_only(config: Path) -> Any:
    """Where the jobs, mappings and rules are, from a settings file that failed validation:
    its own values for those keys when they are usable, the defaults otherwise."""
    from c3po_sync.config.located import read_yaml
    from c3po_sync.config.settings import Settings

    try:
        raw, _ = read_yaml(config)
    except Exception:
        return None
    raw = raw if isinstance(raw, dict) else {}
    paths: dict[str, Path] = {}
    for key in ("jobs_dir", "mappings_dir", "rules_file"):
        value = raw.get(key)
        if isinstance(value, str) and "${" not in value:
            paths[key] = Path(value)
        else:
            paths[key] = Settings.model_fields[key].default
    return SimpleNamespace(**paths, resolve=lambda p: (config.resolve().parent / p).resolve())


def _check_writable_dir(report: ValidationReport, config: Path, key: str, folder: Path) -> None:
    """The folder exists and is writable, or can be created (its nearest existing parent is)."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        report.add("settings", config, key, f"{probe} is not a folder")
    elif not os.access(probe, os.W_OK | os.X_OK):
        what = "cannot be written" if probe == folder else f"cannot be created in {probe}"
        report.add("settings", config, key, f"{folder} {what}")


def _masked_auth(auth: Any) -> dict[str, Any]:
    data = auth.model_dump(mode="json")
    for key in ("token", "thumbprint"):
        if data.get(key):
            data[key] = mask(str(data[key]))
    return data


def _mask_url(url: str) -> str:
    from c3po_sync.logs import redact

    return redact(url)


def _check_url(report: ValidationReport, config: Path, key: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    try:
        make_url(url)
    except Exception as e:
        report.add("settings", config, key, f"not a SQLAlchemy URL: {e}")


def _check_certificate(report: ValidationReport, s: Any, auth: Any) -> None:
    """The key and thumbprint are findable and well formed; the key itself is never shown."""
    from c3po_sync.m365.auth import CERT_PEM_ENV, load_certificate
    from c3po_sync.m365.errors import TokenError

    key_path = s.resolve(auth.private_key_path) if auth.private_key_path else None
    try:
        load_certificate(key_path, auth.thumbprint)
    except TokenError as e:
        key = "tenant.auth.thumbprint" if "thumbprint" in str(e) else "tenant.auth.private_key_path"
        report.add("certificate", s.source_file, key, str(e))
    if key_path is None and not os.environ.get(CERT_PEM_ENV):
        return
    if auth.ca_bundle and not s.resolve(auth.ca_bundle).is_file():
        report.add("certificate", s.source_file, "tenant.auth.ca_bundle", "file not found")
