"""Chooses the adapters for a run from the settings: SharePoint over the office365 client."""

from __future__ import annotations

import threading

from c3po_sync.config.settings import CertificateAuth, Settings
from c3po_sync.m365 import (
    MsalCertificateTokenProvider,
    SharePointFileSink,
    SharePointLibrarySource,
    SharePointListSink,
    SharePointListSource,
    SiteConnection,
    StaticTokenProvider,
    TokenProvider,
)
from c3po_sync.m365.hub_changes import HubChangeLog
from c3po_sync.m365.list_readback import read_list_rows
from c3po_sync.m365.pacing import ResourcePacer
from c3po_sync.pipeline.context import RunInputs
from c3po_sync.pipeline.ports import Ports
from c3po_sync.pipeline.result import RunResult
from c3po_sync.pipeline.runner import JobRunner
from c3po_sync.sources.base import Source, SourceRef
from c3po_sync.state.dry_run import dry_run_store
from c3po_sync.state.store import StateStore


def token_provider(settings: Settings) -> TokenProvider:
    """The identity for this deployment: the sandbox's fixed token, or the certificate app."""
    auth = settings.tenant.auth
    if isinstance(auth, CertificateAuth):
        verify: bool | str = settings.tenant.verify_tls
        if auth.ca_bundle is not None:
            verify = str(settings.resolve(auth.ca_bundle))
        return MsalCertificateTokenProvider(
            tenant_id=auth.tenant_id,
            client_id=auth.client_id,
            thumbprint=auth.thumbprint,
            private_key_path=(
                settings.resolve(auth.private_key_path) if auth.private_key_path else None
            ),
            resource=settings.tenant.base_url,
            authority=auth.resolved_authority,
            instance_discovery=auth.instance_discovery,
            verify=verify,
            token_cache_path=(
                settings.resolve(auth.token_cache_path) if auth.token_cache_path else None
            ),
        )
    return StaticTokenProvider(auth.token)


class SharePointPorts:
    """One connection per site, opened on first use and shared by that site's adapters."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokens = token_provider(settings)
        self._conns: dict[str, SiteConnection] = {}
        self._lock = threading.Lock()
        # One budget for the whole app: every site's connection is paced by the same pacer.
        self.pacer = ResourcePacer(settings.tenant.resource_units_per_minute)

    def connection(self, site: str) -> SiteConnection:
        with self._lock:
            if site not in self._conns:
                self._conns[site] = SiteConnection.open(
                    self.settings.tenant.base_url + site,
                    self.tokens,
                    verify_tls=self.settings.tenant.verify_tls,
                    pacer=self.pacer,
                )
            return self._conns[site]

    def source_for(self, ref: SourceRef) -> Source:
        read = self.settings.read
        cls = SharePointLibrarySource if ref.kind == "library" else SharePointListSource
        return cls(
            ref,
            self.connection(ref.site),
            page_size=read.page_size,
            max_pages=read.max_pages,
            time_zone=self.settings.time_zone,
        )

    def requests_sent(self) -> int:
        with self._lock:
            return sum(c.requests_sent for c in self._conns.values())

    def units_sent(self) -> int:
        with self._lock:
            return sum(c.units_sent for c in self._conns.values())

    def ports(self) -> Ports:
        hub = self.connection(self.settings.hub_site)
        return Ports(
            source_for=self.source_for,
            list_sink=SharePointListSink(hub, page_size=self.settings.read.page_size),
            file_sink=SharePointFileSink(hub),
            request_count=self.requests_sent,
            unit_count=self.units_sent,
            read_rows=lambda spec: read_list_rows(hub, spec, self.settings.read.page_size),
            hub_changes=HubChangeLog(hub),
        )


def run_prepared(inputs: RunInputs) -> RunResult:
    """Runs a validated job against the configured tenant, recording it in the state store.

    A dry run records nothing: it works on a throw-away copy of the store (state.dry_run).
    """
    settings = inputs.settings
    if inputs.dry_run:
        with dry_run_store(settings.resolved_state_url) as scratch:
            return JobRunner(inputs, SharePointPorts(settings).ports(), scratch).run()
    store = StateStore(settings.resolved_state_url)
    try:
        return JobRunner(inputs, SharePointPorts(settings).ports(), store).run()
    finally:
        store.close()
