"""A digest as a short message: a subject, an HTML body that reads well as text, a Teams card.

Graph ``sendMail`` takes one body. It is HTML of the plainest kind (paragraphs, headings,
one list, links whose text says where they go), so Outlook renders it as written and a
text-only client or Outlook's own HTML-to-text conversion reads the same lines, with each link
followed by its address. ``text()`` is that same content as plain text: what a Teams card
falls back to and what ``c3po-sync sandbox mail`` and the dry run print.
"""

from __future__ import annotations

from html import escape
from typing import Any

from c3po_sync.notify.digest import KIND_HEADINGS, Digest, DigestItem, ItemKind

KINDS: tuple[ItemKind, ...] = ("overdue", "new", "due")
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def subject(d: Digest) -> str:
    parts = [
        f"{d.counts.get('new', 0)} new finding(s)" if d.counts.get("new") else "",
        f"{d.counts.get('due', 0)} due" if d.counts.get("due") else "",
        f"{d.counts.get('overdue', 0)} overdue" if d.counts.get("overdue") else "",
    ]
    return "C3PO digest: " + ", ".join(p for p in parts if p) + " on your projects"


def _heading(d: Digest, kind: ItemKind) -> str:
    return KIND_HEADINGS[kind].format(days=d.due_within_days)


def _link_text(item: DigestItem) -> str:
    return "Fix it here" if item.kind == "new" else "Open the project item"


def _greeting(d: Digest) -> str:
    return f"Hello {d.name or d.ppm},"


def _opening(d: Digest) -> str:
    """Says "since your last digest" only when one was sent (or claimed) before: the first
    message a PPM gets says it is the first, not that it follows one they never had."""
    if d.first:
        return "This is your first C3PO digest: what is open, due or overdue on your projects."
    return "Since your last C3PO digest:"


FOOTER = (
    "You get this digest because you are the PPM of these projects. To stop it, tick "
    "'No Digest' on your row of the C3PO Digest Settings list on the C3PO hub."
)


def html(d: Digest, settings_url: str | None = None) -> str:
    """The e-mail body: every value escaped, every link's address also shown as text."""
    out = [f"<p>{escape(_greeting(d))}</p>", f"<p>{escape(_opening(d))}</p>"]
    for kind in KINDS:
        items = d.of_kind(kind)
        if not items:
            continue
        out.append(f"<h3>{escape(_heading(d, kind))} ({len(items)})</h3><ul>")
        for i in items:
            where = f"<b>{escape(i.project_key)}</b>: " if i.project_key else ""
            # On its own line: run on after the message, "…supervises them Fix it here" read
            # as one sentence in a text-only client.
            link = (
                f'<br>\n<a href="{escape(i.link, quote=True)}">{escape(_link_text(i))}</a>:'
                f" {escape(i.link)}"
                if i.link
                else ""
            )
            out.append(f"<li>{where}{escape(i.text)}{link}</li>")
        out.append("</ul>")
    footer = escape(FOOTER)
    if settings_url:
        footer += f' (<a href="{escape(settings_url, quote=True)}">{escape(settings_url)}</a>)'
    out.append(f"<p><small>{footer}</small></p>")
    return "\n".join(out)


def text(d: Digest, settings_url: str | None = None) -> str:
    """The same content as plain text."""
    lines = [_greeting(d), "", _opening(d)]
    for kind in KINDS:
        items = d.of_kind(kind)
        if not items:
            continue
        lines += ["", f"{_heading(d, kind)} ({len(items)}):"]
        for i in items:
            where = f"{i.project_key}: " if i.project_key else ""
            lines.append(f"- {where}{i.text}")
            if i.link:
                lines.append(f"  {_link_text(i)}: {i.link}")
    lines += ["", FOOTER + (f" ({settings_url})" if settings_url else "")]
    return "\n".join(lines)


def teams_payload(d: Digest, settings_url: str | None = None) -> dict[str, Any]:
    """The message a Teams workflow ("When a Teams webhook request is received") posts.

    The envelope is ``{"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD,
    "content": <AdaptiveCard>}]}`` (prometheus/alertmanager#3920, louislam/uptime-kuma#4934);
    the PPM is @mentioned by e-mail so Teams notifies them in the channel.
    """
    mention = f"<at>{d.name or d.ppm}</at>"
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": subject(d), "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": f"{mention}: {_opening(d)}", "wrap": True},
    ]
    for kind in KINDS:
        items = d.of_kind(kind)
        if not items:
            continue
        body.append(
            {
                "type": "TextBlock",
                "text": f"{_heading(d, kind)} ({len(items)})",
                "weight": "Bolder",
                "spacing": "Medium",
                "wrap": True,
            }
        )
        for i in items:
            where = f"**{i.project_key}**: " if i.project_key else ""
            link = f" [{_link_text(i)}]({i.link})" if i.link else ""
            body.append({"type": "TextBlock", "text": f"- {where}{i.text}{link}", "wrap": True})
    body.append(
        {"type": "TextBlock", "text": FOOTER, "size": "Small", "isSubtle": True, "wrap": True}
    )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "fallbackText": text(d, settings_url),
        "msteams": {
            "width": "Full",
            "entities": [
                {
                    "type": "mention",
                    "text": mention,
                    "mentioned": {"id": d.ppm, "name": d.name or d.ppm},
                }
            ],
        },
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }
