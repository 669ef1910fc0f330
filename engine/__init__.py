"""Tripod's engine package; importing it makes experta importable wherever Tripod is installed.

experta 1.9.4 pins ``frozendict==1.2``, whose only class statement subclasses ``collections.Mapping``,
an alias Python 3.10 removed (experta issue #34), so ``import experta`` fails. Inside the checkout
uv overrides the pin (``[tool.uv] override-dependencies``), but that setting applies to this project
alone: ``pip install`` of the wheel and ``uv tool install`` honour the pin, and no dependency of
Tripod's can lift it (pip refuses the conflict). No maintained experta release or fork drops it.

So this package puts a finder in front of the import system that watches one import, frozendict's:
when it fails on the missing alias, the module runs again with ``collections.Mapping`` restored for
its import alone, then the alias is removed. A frozendict that imports (2.x, as uv installs) is left
untouched, and nothing is imported before experta asks for it (``tripod --help`` pays nothing).
frozendict 1.2 then works as experta expects: a pure-Python immutable mapping; the slow install test
(``tests/test_install.py``) runs the built wheel with it. Every Tripod process imports ``engine``
before experta: the console script and the batch workers start in ``engine``.
"""

from __future__ import annotations

import collections
import collections.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importlib.abc brings in importlib.resources: a cost `tripod --help` need not pay
    from importlib.abc import Loader


class _FrozendictOnPython310:
    """A meta-path finder for ``frozendict`` alone; see the module docstring."""

    @staticmethod
    def find_spec(
        name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != "frozendict":
            return None
        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _AliasOnFailure(spec.loader)  # type: ignore[assignment]
        return spec


class _AliasOnFailure:
    """The loader PathFinder found, run again with the alias if its first run fails on it."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        try:
            self.loader.exec_module(module)
        except AttributeError as exc:
            if "Mapping" not in str(exc) or hasattr(collections, "Mapping"):
                raise
            setattr(collections, "Mapping", collections.abc.Mapping)  # noqa: B010
            try:
                self.loader.exec_module(module)
            finally:
                delattr(collections, "Mapping")


if "frozendict" not in sys.modules and _FrozendictOnPython310 not in sys.meta_path:
    sys.meta_path.insert(0, _FrozendictOnPython310)
