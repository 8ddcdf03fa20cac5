"""docs/rules.md quotes every recommendation's clauses; each listed clause has a rule."""

from __future__ import annotations

import re
from pathlib import Path

from c3po_sync.model.recommendations import RECOMMENDATIONS
from c3po_sync.rules import all_rules

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r'^\| (\d+) \| "(.+)" \| (.*) \|$')


def _clause_rows() -> list[tuple[int, str, list[str]]]:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            rules = re.findall(r"`([^`]+)`", m.group(3))
            rows.append((int(m.group(1)), m.group(2), rules))
    return rows


def test_every_clause_in_docs_has_a_registered_rule():
    known = {r.rule_id for r in all_rules()}
    rows = _clause_rows()
    assert {n for n, _, _ in rows} == set(range(1, 11)), "every recommendation has clauses"
    for n, clause, rules in rows:
        assert rules, f"rec {n} clause {clause!r} lists no rule"
        unknown = [r for r in rules if r not in known]
        assert not unknown, f"rec {n} clause {clause!r} names unregistered rules {unknown}"
        rec_of = {r.rule_id: r.recommendation for r in all_rules()}
        assert any(rec_of[r] == n for r in rules) or n in (2, 4), (n, clause, rules)


def test_clauses_are_the_audits_words():
    for n, rec in RECOMMENDATIONS.items():
        for c in rec.clauses:
            assert c.text in rec.finding or c.text in rec.solution, (n, c.text)
    docs = {(n, c) for n, c, _ in _clause_rows()}
    listed = {(n, c.text) for n, r in RECOMMENDATIONS.items() for c in r.clauses}
    assert docs == listed


def test_every_audit_rule_checks_some_clause():
    named = {r for rec in RECOMMENDATIONS.values() for c in rec.clauses for r in c.rules}
    orphans = [r.rule_id for r in all_rules() if r.recommendation and r.rule_id not in named]
    assert orphans == []
