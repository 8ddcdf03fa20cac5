"""Prints what the sandbox's Graph sendMail and Teams workflow endpoints received."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from rich.console import Console
from rich.markup import escape


def html_to_text(html: str) -> str:
    """A digest's HTML as a text-only mail client shows it: lines, bullets, link addresses."""
    text = re.sub(r"<br>\n?", "\n  ", html)  # a link's own line, under its item
    text = re.sub(r"<li>", "- ", text)
    text = re.sub(r"<a [^>]*>([^<]*)</a>", r"\1", text)
    text = re.sub(r"</(p|h3|li|ul)>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\n{3,}", "\n\n", unescape(text)).strip()


def _card_text(payload: Any) -> str:
    try:
        card = payload["attachments"][0]["content"]
    except (KeyError, IndexError, TypeError):
        return ""
    return str(card.get("fallbackText") or "")


def print_messages(console: Console, messages: list[dict[str, Any]], *, full: bool) -> None:
    if not messages:
        console.print("no messages received")
        return
    console.print(f"{len(messages)} message(s) received")
    for i, m in enumerate(messages, 1):
        if m.get("channel") == "teams":
            err = f"  flow run failed: {m['flow_error']}" if m.get("flow_error") else ""
            console.print(escape(f"{i}. Teams workflow {m.get('workflow')}{err}"), soft_wrap=True)
            body = _card_text(m.get("payload"))
        else:
            to = ", ".join(m.get("to") or [])
            console.print(
                escape(f"{i}. mail from {m.get('from')} to {to}: {m.get('subject')}"),
                soft_wrap=True,
            )
            raw = str(m.get("body") or "")
            body = html_to_text(raw) if m.get("content_type") == "html" else raw
        if full and body:
            console.print(escape(body), soft_wrap=True)
            console.print()
