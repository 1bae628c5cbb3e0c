"""`make help` lists every target the Makefile defines, and the test markers are declared."""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

from tests.support import ROOT

# A rule line: "name:" or "name: prerequisites", not "NAME := value" nor a file target ($(...)).
TARGET = re.compile(r"^([a-z][a-z0-9-]*)\s*:(?!=)", re.MULTILINE)


def targets() -> set[str]:
    return set(TARGET.findall((ROOT / "Makefile").read_text()))


def test_make_help_lists_every_target() -> None:
    found = targets()
    assert {"help", "run", "test", "test-unit", "install", "clean"} <= found
    listed = subprocess.run(["make", "--no-print-directory", "-s", "help"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    named = set(re.findall(r"^make ([a-z][a-z0-9-]*)", listed, re.MULTILINE))
    assert found - named == set(), "targets missing from `make help`"


def test_every_mark_the_tests_use_is_declared_in_pytest_ini() -> None:
    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    declared = {line.split(":")[0].strip()
                for line in ini["pytest"]["markers"].splitlines() if line.strip()}
    assert {"integration", "e2e", "browser"} <= declared
    used = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        used |= set(re.findall(r"pytest\.mark\.(integration|e2e|browser|\w+)\b", path.read_text()))
    builtin = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}
    assert used - builtin <= declared


# What makes a test module need a server, Redis or PostgreSQL (the fixtures of conftest.py that
# start servers, and the clients of the real services).
NEEDS_MORE_THAN_UNIT = re.compile(
    r"\b(bot|bot_without_actions|web_server|trained_model|action_server|redis_prefix)\s*:"
    r"|\bstart_rasa\(|\bstart_on_redis\(|\bredis\.Redis\(|postgresql://|sync_playwright")


def test_a_module_that_needs_a_server_or_a_database_is_marked() -> None:
    """`make test-unit` runs every unmarked module: one needing a server must say so."""
    unmarked = [path.name for path in sorted((ROOT / "tests").glob("test_*.py"))
                if path.name != Path(__file__).name
                if NEEDS_MORE_THAN_UNIT.search(text := path.read_text())
                and not re.search(r"^pytestmark = .*pytest\.mark\.(integration|e2e|browser)",
                                  text, re.MULTILINE)]
    assert unmarked == [], "mark these with pytestmark (pytest.ini: integration, e2e, browser)"


def recipes() -> dict[str, tuple[list[str], str]]:
    """Each rule's prerequisites and recipe, with variables left as written."""
    rules: dict[str, tuple[list[str], str]] = {}
    current: list[str] = []
    for line in (ROOT / "Makefile").read_text().splitlines():
        rule = re.match(r"^([^\s#=:][^=:]*?)\s*:(?!=)(.*)$", line)
        if rule and not line.startswith("\t"):
            current = rule.group(1).split()
            for target in current:
                rules[target] = (rule.group(2).split(), "")
        elif line.startswith("\t"):
            for target in current:
                prerequisites, recipe = rules[target]
                rules[target] = (prerequisites, recipe + line + "\n")
    return rules


def test_make_test_never_asks_for_sudo_and_installs_system_packages_only_as_root() -> None:
    rules, seen, todo = recipes(), set(), ["test", "test-unit", "test-integration", "test-e2e"]
    while todo:
        target = todo.pop()
        if target in seen or target not in rules:
            continue
        seen.add(target)
        prerequisites, recipe = rules[target]
        assert not re.search(r"\bsudo\b|\$\(SUDO\)", recipe), target
        if re.search(r"\bapt(-get)?\b", recipe):
            # A fresh CI machine runs as root and lacks chromium and nginx; anyone else is told.
            assert '[ "$$(id -u)" != 0 ]' in recipe and "exit 1" in recipe, target
        todo += prerequisites
    assert {"test", "train", "browser-deps", "$(CHROMIUM)"} <= seen
