"""Chooses the adapters for a run from the settings: SharePoint over the office365 client."""

from __future__ import annotations

import threading

from c3po_sync.config.settings import CertificateAuth, Settings
from c3po_sync.identity import token_provider
from c3po_sync.m365 import (
    SharePointFileSink,
    SharePointLibrarySource,
    SharePointListSink,
    SharePointListSource,
    SiteConnection,
)
from c3po_sync.m365.hub_changes import HubChangeLog
from c3po_sync.m365.intake_port import SharePointIntake
from c3po_sync.m365.list_readback import read_list_rows
from c3po_sync.m365.notify_senders import (
    GRAPH_SCOPE_RESOURCE,
    DigestSender,
    GraphMailSender,
    TeamsWorkflowSender,
)
from c3po_sync.m365.pacing import ResourcePacer
from c3po_sync.pipeline.context import RunInputs
from c3po_sync.pipeline.failures import RunLevelError
from c3po_sync.pipeline.ports import Ports
from c3po_sync.pipeline.result import RunResult
from c3po_sync.pipeline.runner import JobRunner
from c3po_sync.sources.base import Source, SourceRef
from c3po_sync.state.dry_run import dry_run_store
from c3po_sync.state.store import StateStore


def notifier_for(settings: Settings) -> DigestSender | None:
    """The digest channel of ``settings.notify``: Graph sendMail or a Teams workflow."""
    notify = settings.notify
    if notify is None:
        return None
    if notify.channel == "teams" and notify.webhook_url:
        return TeamsWorkflowSender(notify.webhook_url, verify_tls=settings.tenant.verify_tls)
    sandbox = not isinstance(settings.tenant.auth, CertificateAuth)
    graph = notify.graph_url or (settings.tenant.base_url if sandbox else GRAPH_SCOPE_RESOURCE)
    return GraphMailSender(
        graph,
        token_provider(settings, GRAPH_SCOPE_RESOURCE),
        str(notify.sender),
        verify_tls=settings.tenant.verify_tls,
    )


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

    def close(self) -> None:
        """Closes every site session opened for the run: the scheduler's process lives on
        after each job, and would otherwise keep each site's sockets open until it exits."""
        with self._lock:
            for conn in self._conns.values():
                conn.close()

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
            close=self.close,
            read_rows=lambda spec: read_list_rows(hub, spec, self.settings.read.page_size),
            intake=SharePointIntake(hub, self.connection, page_size=self.settings.read.page_size),
            check_rights=lambda: self.check_hub_rights(hub),
            notifier=notifier_for(self.settings),
            unit_count=self.units_sent,
            hub_changes=HubChangeLog(hub),
        )

    def check_hub_rights(self, hub: SiteConnection) -> None:
        """Before a run's first write: the hub's rights; a missing one fails the run as a whole."""
        from c3po_sync.access_check import MissingRightsError, check_hub_rights

        try:
            check_hub_rights(self.settings, hub)
        except MissingRightsError as e:
            raise RunLevelError("hub-rights-missing", str(e)) from e


def run_prepared(inputs: RunInputs) -> RunResult:
    """Runs a validated job against the configured tenant, recording it in the state store.

    A dry run records nothing: it works on a throw-away copy of the store (state.dry_run).
    """
    settings = inputs.settings
    ports = SharePointPorts(settings).ports()
    try:
        if inputs.dry_run:
            with dry_run_store(settings.resolved_state_url) as scratch:
                return JobRunner(inputs, ports, scratch).run()
        store = StateStore(settings.resolved_state_url)
        try:
            return JobRunner(inputs, ports, store).run()
        finally:
            store.close()
    finally:
        ports.close()
