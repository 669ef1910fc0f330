"""How experta is imported: made importable wherever Tripod is installed, and kept quiet.

Two things happen when experta 1.9.4 is imported that Tripod must undo, and both only at that import:

- experta pins ``frozendict==1.2``, whose only class statement subclasses ``collections.Mapping``, an
  alias Python 3.10 removed (experta issue #34), so ``import experta`` fails. Inside the checkout uv
  overrides the pin (``[tool.uv] override-dependencies``), but that setting applies to this project
  alone: ``pip install`` of the wheel and ``uv tool install`` honour the pin, no dependency of
  Tripod's can lift it (pip refuses the conflict), and no maintained experta release or fork drops it.
  So frozendict's module runs again, if its first run fails on the missing alias, with
  ``collections.Mapping`` restored for that run alone. A frozendict that imports (2.x, as uv installs
  it) is left untouched.
- experta calls ``logging.basicConfig()``, which puts a stderr handler on the root logger when it has
  none, and its watcher loggers (``experta.watchers.*``) take their level from the root. A host program
  or a verbose option that lowers the root level would then print every fact and activation:
  thousands of lines holding observation values. So experta's loggers write nowhere and only from
  WARNING up, and the handler experta's import adds to the root is taken off again.

:func:`install`, run by ``engine/__init__.py`` (every Tripod process imports ``engine`` before
experta: the console script, the batch workers and ``knowledge/rules``), puts one finder in front of
the import system for those two modules. It imports nothing itself: ``tripod --help`` pays nothing.
"""

from __future__ import annotations

import collections
import collections.abc
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importlib.abc brings in importlib.resources: a cost `tripod --help` need not pay
    from importlib.abc import Loader

Run = Callable[[], None]


def install() -> None:
    """Quiet experta's loggers now; watch the imports of frozendict and experta from now on."""
    experta = logging.getLogger("experta")
    experta.propagate = False
    experta.setLevel(logging.WARNING)
    if not any(isinstance(handler, logging.NullHandler) for handler in experta.handlers):
        experta.addHandler(logging.NullHandler())
    if _Finder not in sys.meta_path:
        sys.meta_path.insert(0, _Finder)


def _frozendict(run: Run) -> None:
    try:
        run()
    except AttributeError as exc:
        if "Mapping" not in str(exc) or hasattr(collections, "Mapping"):
            raise
        setattr(collections, "Mapping", collections.abc.Mapping)  # noqa: B010
        try:
            run()
        finally:
            delattr(collections, "Mapping")


def _experta(run: Run) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        run()
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)


_AROUND: dict[str, Callable[[Run], None]] = {"frozendict": _frozendict, "experta": _experta}


class _Finder:
    """A meta-path finder for the two modules above: Python's own spec, run inside their wrapper."""

    @staticmethod
    def find_spec(name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        around = _AROUND.get(name)
        if around is None:
            return None
        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Around(spec.loader, around)  # type: ignore[assignment]
        return spec


class _Around:
    """The loader Python found, its module run inside one of the wrappers above."""

    def __init__(self, loader: Loader, around: Callable[[Run], None]) -> None:
        self.loader = loader
        self.around = around

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.around(lambda: self.loader.exec_module(module))
