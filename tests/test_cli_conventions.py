"""What a command-line user expects of any tool: `--version` and shell completion (typer's)."""

from __future__ import annotations

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
    result = runner.invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0, result.output
    assert "_TRIPOD_COMPLETE=complete_bash" in result.stdout


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
