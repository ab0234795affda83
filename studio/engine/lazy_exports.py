"""A package's public names, imported from their modules on first use (PEP 562).

Importing Numba, SciPy's BLAS or pooch takes a second or more; a package that
imported every module up front would make the window (and `python -m studio
train --help`) wait for kernels it may never call. It lives in the engine, the
bottom layer, so that every package of ours may use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, modules: Mapping[str, tuple[str, ...]]
                 ) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """`__all__`, `__getattr__` and `__dir__` for `package`, whose `modules` (names
    relative to it) each provide the names listed; `"FILES as TRAINER_FILES"` renames, as
    in an import."""
    where: dict[str, tuple[str, str]] = {}  # public name: (module, its name there)
    for module, names in modules.items():
        for entry in names:
            own, _, public = entry.partition(" as ")
            where[public or own] = (module, own)
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, own = where[name]
        value = getattr(importlib.import_module(f"{package}.{module}"), own)
        namespace[name] = value  # found directly from now on
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return sorted(where), __getattr__, __dir__
