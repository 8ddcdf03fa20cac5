"""Every exception the package defines derives from C3POError, and says whether it is
transient; configuration problems are one located error that `validate` reads field by field."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import c3po_sync
from c3po_sync.config.errors import ConfigError
from c3po_sync.errors import C3POError


def _package_exceptions() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(c3po_sync.__path__, "c3po_sync."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == info.name:
                found.append(obj)
    return found


def test_every_project_exception_derives_from_the_root() -> None:
    found = _package_exceptions()
    assert len(found) > 40  # the walk saw the package, not an empty folder
    strays = sorted(
        f"{e.__module__}.{e.__qualname__}" for e in found if not issubclass(e, C3POError)
    )
    assert not strays, f"derive these from c3po_sync.errors.C3POError: {strays}"


def test_transient_says_whether_a_retry_may_help() -> None:
    from c3po_sync.m365.errors import AuthenticationError, SharePointRequestError
    from c3po_sync.pipeline.failures import RunLevelError
    from c3po_sync.scheduler.lock import JobLockedError

    assert SharePointRequestError("s", "r", 429).transient
    assert not AuthenticationError("s", "r", 401).transient
    assert JobLockedError("held by another run").transient
    assert RunLevelError("tenant-unreachable", "down").transient
    assert not RunLevelError("auth-refused", "refused").transient
    assert not ConfigError("config/x.yaml", "k", "bad").transient


def test_mapping_and_rules_errors_are_the_located_error(tmp_path) -> None:
    from c3po_sync.normalize import MappingError, load_mappings
    from c3po_sync.rules import RulesConfigError, load_rules_config

    (tmp_path / "m.yaml").write_text("sources:\n  - site: /sites/a\n    list: L\n    bogus: 1\n")
    try:
        load_mappings(tmp_path)
    except MappingError as e:
        assert isinstance(e, ConfigError)
        (p,) = [p for p in e.problems if p.key.endswith("bogus")]
        assert (p.file, p.line) == (str(tmp_path / "m.yaml"), 4)
        assert "unknown key" in p.problem
    else:
        raise AssertionError("a bad mapping loaded")
    rules = tmp_path / "rules.yaml"
    rules.write_text("disabled: [no-such-rule]\n")
    try:
        load_rules_config(rules)
    except RulesConfigError as e:
        assert isinstance(e, ConfigError)
        assert (e.file, e.key, e.line) == (str(rules), "disabled", 1)
    else:
        raise AssertionError("an unknown rule id was accepted")


def test_the_command_line_maps_errors_to_exit_codes_in_one_place() -> None:
    from c3po_sync.cli.shell import (
        EXIT_CONFIG,
        EXIT_FAILED,
        EXIT_UNREACHABLE,
        exit_code_for_error,
    )
    from c3po_sync.m365.errors import AuthenticationError
    from c3po_sync.normalize import MappingError
    from c3po_sync.pipeline.failures import RunLevelError
    from c3po_sync.scheduler.lock import JobLockedError

    located = ConfigError("config/city.yaml", "tenant.base_url", "not a URL", 3)
    assert exit_code_for_error(located) == EXIT_CONFIG
    assert exit_code_for_error(MappingError([located])) == EXIT_CONFIG
    assert exit_code_for_error(RunLevelError("hub-unreachable", "down")) == EXIT_UNREACHABLE
    assert exit_code_for_error(AuthenticationError("s", "r", 401)) == EXIT_UNREACHABLE
    assert exit_code_for_error(JobLockedError("held")) == EXIT_FAILED
    assert exit_code_for_error(RuntimeError("a bug")) == EXIT_FAILED


def test_validate_shows_a_located_errors_own_fix(tmp_path) -> None:
    from c3po_sync.cli.validate import ValidationReport

    report = ValidationReport(tmp_path / "settings.yaml")
    report.add_config_error("job", ConfigError("jobs/x.yaml", "steps", "bad", 2, fix="list them"))
    report.add_config_error("job", ConfigError("jobs/y.yaml", "steps", "bad", 2))
    fixes = [p.as_dict()["fix"] for p in report.problems]
    assert fixes[0] == "list them" and "docs/admin-guide.md" in fixes[1]
