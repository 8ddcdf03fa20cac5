"""Typed settings for one deployment, loaded from YAML with located errors before any request."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from c3po_sync.config.errors import ConfigError, errors_from_validation
from c3po_sync.config.located import YamlSyntaxError, check_time_zone, line_of, read_yaml
from c3po_sync.config.notify import NotifySettings

_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SandboxAuth(_Strict):
    """The sandbox accepts any bearer token: no secret exists to leak."""

    mode: Literal["sandbox"] = "sandbox"
    token: str = "sandbox"


class CertificateAuth(_Strict):
    """App-only certificate auth (SharePoint REST refuses client-secret app-only tokens).

    The certificate comes from ``private_key_path`` or, when that is unset, from the
    environment: C3PO_CERT_PEM (the PEM text) and C3PO_CERT_THUMBPRINT.
    """

    mode: Literal["certificate"]
    tenant_id: str = Field(description="Entra tenant id or domain")
    client_id: str = Field(description="application (client) id")
    thumbprint: str | None = Field(
        None, description="SHA-1 thumbprint of the registered certificate (or C3PO_CERT_THUMBPRINT)"
    )
    private_key_path: Path | None = Field(
        None, description="PEM file with the private key (or C3PO_CERT_PEM holds the PEM text)"
    )
    authority_host: str = Field(
        "https://login.microsoftonline.com", description="identity platform host"
    )
    authority: str | None = Field(
        None, description="full authority URL; overrides authority_host/tenant_id"
    )
    instance_discovery: bool | None = Field(
        None, description="msal instance discovery; default on only for login.microsoftonline.com"
    )
    ca_bundle: Path | None = Field(
        None, description="CA bundle for the authority's TLS (a private or test authority)"
    )
    token_cache_path: Path | None = Field(
        None, description="file for msal's token cache (written 0600); none keeps it in memory"
    )

    @field_validator("authority", "authority_host")
    @classmethod
    def _https(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("https://"):
            raise ValueError(f"msal requires an https authority, got {v!r}")
        return v.rstrip("/") if v else v

    @property
    def resolved_authority(self) -> str:
        return self.authority or f"{self.authority_host}/{self.tenant_id}"


class SchedulerSettings(_Strict):
    """How `c3po-sync schedule` keeps its jobs and locks."""

    job_store_url: str | None = Field(
        None, description="SQLAlchemy URL of the APScheduler job store; default: state_url"
    )
    lock_ttl_seconds: int = Field(
        300, ge=10, description="a job lock not renewed for this long is free (crashed holder)"
    )
    max_workers: int = Field(2, ge=1, le=16, description="jobs that may run at once")


class LoggingSettings(_Strict):
    """Where and how the run logs; secrets are redacted in every format."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["human", "json"] = Field("human", description="json: one object a line")
    file: Path | None = Field(None, description="also log to this file (relative to this file)")


class TenantSettings(_Strict):
    base_url: str = Field(
        description="scheme and host of the tenant, e.g. https://city.sharepoint.com"
    )
    auth: SandboxAuth | CertificateAuth = Field(default_factory=SandboxAuth, discriminator="mode")
    verify_tls: bool = Field(True, description="never false outside the sandbox")
    # SharePoint Online's per-app budget per tenant; 1,200 RU/min is the smallest tier
    # (learn.microsoft.com/sharepoint/dev/general-development/how-to-avoid-getting-throttled-or-
    # blocked-in-sharepoint-online). Every request of a run is paced to it (m365/pacing.py).
    resource_units_per_minute: int = Field(
        1200, ge=1, description="the app's throttling budget: resource units per minute"
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+$", v.rstrip("/")):
            raise ValueError(f"expected scheme://host with no path, got {v!r}")
        return v.rstrip("/")


class ReadSettings(_Strict):
    page_size: int = Field(5000, ge=1, le=5000, description="rows per list request")
    max_pages: int = Field(10_000, ge=1, description="cap per list (the $skip loop guard)")
    concurrency: int = Field(4, ge=1, le=32, description="sites read at once")
    # SharePoint Online keeps a site's change log 60 days and answers an older token with no
    # changes and no error (SharePoint/sp-dev-docs#10389): a site whose token is older than
    # this is read in full instead. Below 60, with room for a missed week of runs.
    max_token_age_days: int = Field(
        45, ge=1, le=55, description="read a site in full when its change token is older"
    )


# Project fields a public dashboard may show (sinks/dashboard_data.py builds them); anything else
# (e-mails, sponsors, vendors, findings' text) never leaves the internal page.
PUBLIC_PROJECT_FIELDS = (
    "title",
    "portfolio",
    "phase",
    "status",
    "budget",
    "start_date",
    "target_end",
    "schedule",
    "departments",
    "ppm_name",
)


class DashboardPublic(_Strict):
    """What the public dashboard page (and its CSV and JSON) may show."""

    project_fields: list[str] = Field(
        default_factory=lambda: [f for f in PUBLIC_PROJECT_FIELDS if f != "ppm_name"],
        description="project columns on the public page, in order",
    )
    show_people: bool = Field(False, description="PPM names on the public page")
    hide_projects: list[str] = Field(
        default_factory=list, description="project keys never shown publicly (security-sensitive)"
    )
    hide_high_profile: bool = Field(
        False, description="leave out projects marked high profile or sensitive"
    )

    @field_validator("project_fields")
    @classmethod
    def _fields(cls, v: list[str]) -> list[str]:
        bad = [f for f in v if f not in PUBLIC_PROJECT_FIELDS]
        if bad:
            raise ValueError(
                f"unknown project field(s) {bad}; allowed: {', '.join(PUBLIC_PROJECT_FIELDS)}"
            )
        if "title" not in v:
            raise ValueError("'title' must be shown: a row without it names nothing")
        return v

    @model_validator(mode="after")
    def _people(self) -> DashboardPublic:
        if "ppm_name" in self.project_fields and not self.show_people:
            raise ValueError("project_fields lists ppm_name but show_people is false")
        return self


class DashboardSettings(_Strict):
    """The static dashboard each nightly run and council report builds (issue 19)."""

    enabled: bool = True
    title: str = Field("C3PO Major Projects", min_length=1, description="page heading")
    web_dir: Path | None = Field(
        None,
        description="folder a web server serves (public page, CSV, JSON); "
        "default: dashboard-web under output_dir",
    )
    library: str | None = Field(None, description="hub library for the pages; default: rollups")
    public: DashboardPublic = Field(default_factory=DashboardPublic)


class RetentionSettings(_Strict):
    """What the state store keeps. Project history lives in the change log, which grows with
    what changes; full snapshots (one per run, the bulky part) serve the views of one run."""

    snapshot_days: int = Field(
        14, ge=1, description="each run prunes full snapshots older than this"
    )
    min_snapshots: int = Field(
        2, ge=2, description="the newest snapshots always kept (carry-over reads the last one)"
    )
    history_days: int | None = Field(
        None,
        ge=1,
        description="forget project versions replaced longer ago than this; none: keep all. "
        "At least the rules' reporting_window_days; the history rules (R7, R8) no longer see "
        "changes older than it",
    )


class Settings(_Strict):
    """One deployment: where the tenant is, what to read, where to write."""

    tenant: TenantSettings
    hub_site: str = Field("/sites/c3po", description="server-relative URL of the C3PO hub site")
    rollups_library: str = "Rollups"
    mappings_dir: Path = Field(Path("../mappings"), description="relative to this file")
    rules_file: Path = Field(Path("rules.yaml"), description="relative to this file")
    jobs_dir: Path = Field(Path("../jobs"), description="relative to this file")
    state_url: str = Field("sqlite:///../var/state.db", description="SQLAlchemy URL")
    output_dir: Path = Field(Path("../out"), description="where rollups are saved")
    time_zone: str = "America/Los_Angeles"
    read: ReadSettings = Field(default_factory=ReadSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    # Digests for PPMs (issue 14); None: a job with the notify step fails validation.
    notify: NotifySettings | None = None

    source_file: Path | None = None

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return check_time_zone(v)

    @field_validator("hub_site")
    @classmethod
    def _site(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"a server-relative URL starting with '/' is expected, got {v!r}")
        return v.rstrip("/")

    def resolve(self, p: Path) -> Path:
        """Paths in the file are relative to the file, so a config works from any directory."""
        base = self.source_file.parent if self.source_file else Path.cwd()
        return (base / p).resolve()

    def _resolve_url(self, url: str) -> str:
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rel = url[len(prefix) :]
            if rel and rel != ":memory:":
                return prefix + str(self.resolve(Path(rel)))
        return url

    @property
    def resolved_state_url(self) -> str:
        return self._resolve_url(self.state_url)

    @property
    def resolved_job_store_url(self) -> str:
        """The scheduler's job store: the state database unless set apart."""
        return self._resolve_url(self.scheduler.job_store_url or self.state_url)

    @property
    def resolved_lock_url(self) -> str:
        """Job locks live beside the job store, so every scheduler of a deployment sees them."""
        return self.resolved_job_store_url


def expand_env(value: Any, where: str, file: Path) -> Any:
    """Replaces ${VAR} and ${VAR:-default}; a missing variable is a config error naming the key."""
    if isinstance(value, dict):
        return {
            k: expand_env(v, f"{where}.{k}" if where else str(k), file) for k, v in value.items()
        }
    if isinstance(value, list):
        return [expand_env(v, f"{where}[{i}]", file) for i, v in enumerate(value)]
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            raise ConfigError(file, where, f"environment variable {name} is not set")

        return _ENV_REF.sub(sub, value)
    return value


def load_settings(path: Path) -> Settings:
    """Loads and validates a settings file; every error names the file, line and key.

    Raises:
        ConfigError: the file is missing or not YAML; ConfigErrors (a ConfigError) listing
            every invalid key at once.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            path, "", "file not found (`c3po-sync init DIR` writes a starter deployment)"
        )
    try:
        raw, lines = read_yaml(path)
    except YamlSyntaxError as e:
        raise ConfigError(path, "", e.what, e.line) from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ConfigError(path, "", "expected a mapping at the top level")
    try:
        raw = expand_env(raw, "", path)
    except ConfigError as e:
        raise ConfigError(e.file, e.key, e.problem, line_of(lines, e.key)) from None
    try:
        settings = Settings.model_validate({**raw, "source_file": path.resolve()})
    except ValidationError as e:
        raise errors_from_validation(path, e, lines) from None
    return settings
