"""experta's logging, kept quiet wherever experta is first imported.

On import experta calls ``logging.basicConfig()``, which puts a stderr handler on the root logger
when it has none, and its watcher loggers (``experta.watchers.*``) take their level from the root.
A host program or a verbose option that lowers the root level then prints every fact and
activation: thousands of lines holding observation values. :func:`install` (run by
``engine/__init__.py``, so before any Tripod module imports experta, and without importing it:
that would cost ``tripod --help`` a tenth of a second) makes experta's loggers write nowhere and
only from WARNING up, and takes the handler experta's import adds off the root again.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any


def install() -> None:
    """Quiet experta's loggers now, and the root logger right after experta is imported."""
    experta = logging.getLogger("experta")
    experta.propagate = False
    experta.setLevel(logging.WARNING)
    if not any(isinstance(h, logging.NullHandler) for h in experta.handlers):
        experta.addHandler(logging.NullHandler())
    if "experta" not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


class _Finder(importlib.abc.MetaPathFinder):
    """Finds experta as Python would, and runs it under :class:`_Loader`; used once."""

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if name != "experta":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        root = logging.getLogger()
        before = list(root.handlers)
        try:
            self.loader.exec_module(module)
        finally:
            for handler in [h for h in root.handlers if h not in before]:
                root.removeHandler(handler)
