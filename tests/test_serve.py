"""Nothing patches Rasa on import: the speed-ups are installed only by bot.serve, and only on the
Rasa they were written for; uninstall puts Rasa's originals back."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import Event

from bot import rasa_patches, serve

ORIGINALS = [DaskGraphRunner.run, RemoteAction._validate_action_result,
             Event.__dict__["resolve_by_type"]]


def current() -> list[object]:
    return [DaskGraphRunner.run, RemoteAction._validate_action_result,
            Event.__dict__["resolve_by_type"]]


@pytest.fixture(autouse=True)
def _rasa_as_shipped() -> object:
    rasa_patches.uninstall()
    yield
    rasa_patches.uninstall()


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)


def test_importing_bot_imports_nothing_from_rasa() -> None:
    done = run_python("import sys, bot; "
                      "assert not any(m.startswith('rasa') for m in sys.modules), 'rasa imported'")
    assert done.returncode == 0, done.stderr


def test_importing_the_pipeline_components_replaces_nothing() -> None:
    done = run_python(
        "from rasa.engine.runner.dask import DaskGraphRunner\n"
        "run = DaskGraphRunner.run\n"
        "import bot.nlu.intent_classifier, bot.nlu.risk_override, bot.nlu.sentence_featurizer\n"
        "import bot.policies.risk_policy, bot.stores.tracker_store, bot.stores.redis_lock_store\n"
        "assert DaskGraphRunner.run is run, 'replaced on import'\n"
        "import bot.rasa_patches\n"
        "assert DaskGraphRunner.run is run and not bot.rasa_patches.installed()\n")
    assert done.returncode == 0, done.stderr


def test_install_replaces_logs_one_line_and_uninstall_restores(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.rasa_patches"):
        assert rasa_patches.install()
        assert rasa_patches.install()  # idempotent: replaced once, said once
    assert all(new is not old for new, old in zip(current(), ORIGINALS, strict=True))
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.rasa_patches"]
    assert len(lines) == 1
    assert "replaced 3 Rasa 3.6.21 internals" in lines[0]
    assert "DaskGraphRunner.run" in lines[0] and "Event.resolve_by_type" in lines[0]
    rasa_patches.uninstall()
    assert current() == ORIGINALS
    assert not rasa_patches.installed()


def test_on_another_rasa_nothing_is_replaced_and_a_warning_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.rasa_patches"):
        assert not rasa_patches.install(rasa_version="3.7.0")
    assert current() == ORIGINALS
    assert not rasa_patches.installed()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "3.7.0" in warnings[0].getMessage() and "NOT replaced" in warnings[0].getMessage()


def test_serve_speeds_up_only_servers() -> None:
    for args in ([], ["train"], ["test"], ["run", "actions"], ["data", "validate"]):
        with pytest.raises(SystemExit, match="starts a Rasa server"):
            serve.main(args)
    assert not rasa_patches.installed()


def test_the_launcher_serves_through_bot_serve_and_bench_can_serve_stock() -> None:
    from tools import launcher

    assert launcher.rasa_server_command()[1:4] == ["-m", "bot.serve", "run"]
    assert launcher.rasa_server_command(speedups=False)[0].endswith("/rasa")
    assert "bot.serve" not in launcher.action_server_command()
