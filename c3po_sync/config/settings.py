"""Typed settings for one deployment, loaded from YAML with located errors before any request."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from c3po_sync.config.errors import ConfigError, format_validation_error

_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SandboxAuth(_Strict):
    """The sandbox accepts any bearer token: no secret exists to leak."""

    mode: Literal["sandbox"] = "sandbox"
    token: str = "sandbox"


class CertificateAuth(_Strict):
    """App-only certificate auth (SharePoint REST refuses client-secret app-only tokens)."""

    mode: Literal["certificate"]
    tenant_id: str = Field(description="Entra tenant id or domain")
    client_id: str = Field(description="application (client) id")
    thumbprint: str = Field(description="SHA-1 thumbprint of the registered certificate")
    private_key_path: Path = Field(description="PEM file with the private key")
    authority_host: str = "https://login.microsoftonline.com"


class TenantSettings(_Strict):
    base_url: str = Field(
        description="scheme and host of the tenant, e.g. https://city.sharepoint.com"
    )
    auth: SandboxAuth | CertificateAuth = Field(default_factory=SandboxAuth, discriminator="mode")
    verify_tls: bool = Field(True, description="never false outside the sandbox")

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

    source_file: Path | None = None

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

    @property
    def resolved_state_url(self) -> str:
        prefix = "sqlite:///"
        if self.state_url.startswith(prefix) and not self.state_url.startswith(prefix + "/"):
            rel = self.state_url[len(prefix) :]
            if rel and rel != ":memory:":
                return prefix + str(self.resolve(Path(rel)))
        return self.state_url


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
    """Loads and validates a settings file; every error names the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, "", "file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(path, "", f"not valid YAML: {e}") from e
    if not isinstance(raw, dict):
        raise ConfigError(path, "", "expected a mapping at the top level")
    raw = expand_env(raw, "", path)
    try:
        settings = Settings.model_validate({**raw, "source_file": path.resolve()})
    except ValidationError as e:
        raise ConfigError(path, *format_validation_error(e)) from None
    return settings
