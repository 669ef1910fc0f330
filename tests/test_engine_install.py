"""experta imports and fires rules on this Python: with uv's frozendict override (the checkout) and
with the frozendict 1.2 it pins (an installed wheel, see engine/__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from experta import Fact, KnowledgeEngine, Rule

from tests.conftest import ROOT


class Ping(Fact):
    pass


class Echo(KnowledgeEngine):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []

    @Rule(Ping(word="hello"))
    def answer(self) -> None:
        self.heard.append("hello")


def test_experta_fires_a_rule_once() -> None:
    engine = Echo()
    engine.reset()
    engine.declare(Ping(word="hello"))
    engine.run()
    engine.run()
    assert engine.heard == ["hello"]


OLD_FROZENDICT = '''import collections


class frozendict(collections.Mapping):
    def __init__(self, *args, **kwargs):
        self._dict = dict(*args, **kwargs)

    def __getitem__(self, key):
        return self._dict[key]

    def __iter__(self):
        return iter(self._dict)

    def __len__(self):
        return len(self._dict)
'''


def test_frozendict_1_2_imports_after_engine_and_leaves_collections_as_it_was(
    tmp_path: Path,
) -> None:
    """experta's pin, as pip installs it (engine/experta_import.py): its class statement needs the
    `collections.Mapping` alias only while it is imported."""
    (tmp_path / "frozendict").mkdir()
    (tmp_path / "frozendict" / "__init__.py").write_text(OLD_FROZENDICT)
    probe = (
        "import engine, collections, frozendict\n"
        "print(dict(frozendict.frozendict(a=1)), hasattr(collections, 'Mapping'))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "{'a': 1} False\n"
