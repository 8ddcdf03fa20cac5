"""Config files are parsed once, by libyaml when PyYAML has it (issue 16: a new day's
nightly spent about 0.3 CPU s parsing its ~30 YAML files twice in pure Python); what is read,
the lines and the messages for a broken file stay PyYAML's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from c3po_sync.config.located import YamlSyntaxError, read_yaml

TEXT = """\
sources:
  - site: /sites/ppm   # a comment
    columns:
      title: Title
      when: 2026-11-01
  - site: "/sites/it"
flags: [a, b]
"""


def test_a_valid_file_is_read_without_the_pure_python_parser(tmp_path, monkeypatch) -> None:
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML built without libyaml")
    path = tmp_path / "mappings.yaml"
    path.write_text(TEXT, encoding="utf-8")
    expected = yaml.safe_load(TEXT)
    made = []

    class Counting(yaml.SafeLoader):
        def __init__(self, stream) -> None:
            made.append(1)
            super().__init__(stream)

    monkeypatch.setattr(yaml, "SafeLoader", Counting)
    data, lines = read_yaml(path)
    assert data == expected
    assert lines[("sources",)] == 1 and lines[("sources", 1)] == 6
    assert lines[("sources", 0, "columns", "when")] == 5 and lines[("flags", 1)] == 7
    assert made == []


def test_a_broken_file_says_what_pyyaml_says(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n", encoding="utf-8")
    with pytest.raises(YamlSyntaxError) as err:
        read_yaml(path)
    try:
        yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        assert err.value.problem == str(exc.problem).replace("<unicode string>", "") or (
            exc.context and err.value.problem.startswith(exc.context)
        )
    assert err.value.line == 3
