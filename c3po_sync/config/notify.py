"""Settings of the opt-in notify step: which channel, which sending mailbox, which webhook."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class NotifySettings(BaseModel):
    """``notify:`` in the settings file. Nothing is sent unless a job lists the notify step."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Literal["mail", "teams"] = Field(
        "mail", description="mail: Graph sendMail as `sender`; teams: the workflow webhook"
    )
    sender: str | None = Field(
        None, description="mailbox the digests are sent as (allowed by the access policy)"
    )
    graph_url: str | None = Field(
        None,
        description="Microsoft Graph endpoint; default https://graph.microsoft.com, "
        "or the sandbox itself when tenant.auth.mode is sandbox",
    )
    webhook_url: str | None = Field(
        None, description="Teams workflow URL (a secret: set it from ${ENV}, never inline)"
    )
    due_within_days: int = Field(30, ge=1, le=366, description="window for 'due' projects")

    @field_validator("sender")
    @classmethod
    def _sender(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v):
            raise ValueError(f"expected the sending mailbox's address, got {v!r}")
        return v

    @field_validator("graph_url", "webhook_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("expected an http(s) URL")
        return v

    @model_validator(mode="after")
    def _channel_needs(self) -> NotifySettings:
        if self.channel == "mail" and self.sender is None:
            raise ValueError("channel 'mail' needs notify.sender (the sending mailbox)")
        if self.channel == "teams" and self.webhook_url is None:
            raise ValueError("channel 'teams' needs notify.webhook_url")
        return self
