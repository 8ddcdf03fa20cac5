"""Every built-in rule: importing this module registers them all, in one explicit list.

The rules configuration checks ``disabled:`` and ``severities:`` against these ids; importing
the rule modules here (rather than relying on whichever of them happened to be imported
first) makes that check independent of import order.
"""

from __future__ import annotations

from c3po_sync.rules import (  # noqa: F401
    assets,
    changes,
    council,
    documents,
    methodology,
    progress,
    projects,
    status,
)
from c3po_sync.rules.registry import all_rules


def known_rule_ids() -> list[str]:
    """The id of every registered rule: the built-in ones and any registered since."""
    return [r.rule_id for r in all_rules()]
