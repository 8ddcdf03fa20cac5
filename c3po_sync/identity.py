"""The deployment's identity: which token provider a run (or a Graph call) authenticates with.

Its own module so that what needs a token (the wiring, the rights check, notifications) imports it
without importing each other.
"""

from __future__ import annotations

from c3po_sync.config.settings import CertificateAuth, Settings
from c3po_sync.m365 import MsalCertificateTokenProvider, StaticTokenProvider, TokenProvider


def token_provider(settings: Settings, resource: str | None = None) -> TokenProvider:
    """The identity for this deployment: the sandbox's fixed token, or the certificate app.

    ``resource`` is SharePoint (the tenant's base URL) unless another is named (Graph).
    """
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
            resource=resource or settings.tenant.base_url,
            authority=auth.resolved_authority,
            instance_discovery=auth.instance_discovery,
            verify=verify,
            token_cache_path=(
                settings.resolve(auth.token_cache_path) if auth.token_cache_path else None
            ),
        )
    return StaticTokenProvider(auth.token)
