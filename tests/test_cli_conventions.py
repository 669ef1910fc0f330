"""What a command-line user expects of any tool: `--version` and shell completion (typer's)."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import tomllib

from typer.testing import CliRunner

from knowledge.catalog import catalog
from tests.conftest import ROOT
from tripod.cli.app import app

runner = CliRunner()


def test_version_names_the_package_and_the_knowledge_base() -> None:
    """The knowledge version is the one stored with every assessment: together they say what
    reasoned."""
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert result.stdout == f"tripod {package}, knowledge {catalog().version}\n"


def test_version_wins_over_a_command() -> None:
    result = runner.invoke(app, ["--version", "assess", "no-such-file.yaml"])
    assert result.exit_code == 0
    assert result.stdout.startswith("tripod ")


def test_bash_completion_script_is_shown() -> None:
    """As a user at a bash prompt asks for it: typer finds the shell among the command's parent
    processes, so the installed command is run from bash itself (under a test runner whose own
    parents hold no shell, the detection would find none)."""
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    bash = shutil.which("bash")
    assert bash, "bash is not installed"
    # Not the last command bash runs, so bash stays its parent rather than exec'ing it.
    done = subprocess.run([bash, "-c", f"'{exe}' --show-completion; exit $?"], capture_output=True,
                          text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "_TRIPOD_COMPLETE=complete_bash" in done.stdout


def complete(words: str) -> list[str]:
    """What bash completion offers for the last of ``words``, asked of the installed command."""
    exe = shutil.which("tripod")
    assert exe, "the tripod console script is not installed"
    env = dict(os.environ, _TRIPOD_COMPLETE="complete_bash", COMP_WORDS=words,
               COMP_CWORD=str(len(words.split()) - (0 if words.endswith(" ") else 1)))
    done = subprocess.run([exe], env=env, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_completion_offers_commands_and_option_values() -> None:
    assert complete("tripod as") == ["assess"]
    assert complete("tripod report case.yaml --audience ") == ["practitioner", "client"]


def test_every_command_s_signature_is_read_without_evaluating_text() -> None:
    """typer reads each command's signature at every start (tripod/cli/__init__.py): none is kept
    as text to be evaluated again."""
    callbacks = [command.callback for command in app.registered_commands]
    callbacks += [command.callback for group in app.registered_groups
                  if group.typer_instance is not None
                  for command in group.typer_instance.registered_commands]
    assert app.registered_callback is not None
    callbacks.append(app.registered_callback.callback)
    assert len(callbacks) > 15
    for callback in callbacks:
        assert callback is not None
        texts = [name for name, hint in inspect.get_annotations(callback).items()
                 if isinstance(hint, str)]
        assert texts == [], callback.__qualname__
