"""The engine, data, io and the training set-up never pull in Qt (import-linter checks the
static imports too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def test_headless_packages_do_not_load_qt():
    code = ("import sys, studio.engine, studio.data, studio.io, studio.training_setup, studio.cli,"
            " studio.bench;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'torch')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def _private_modules(root: Path, *packages: str) -> set[str]:
    """Every module of these packages (subpackages too) but the public packages themselves."""
    modules = set()
    for package in packages:
        for path in (root / "studio" / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if len(parts) > 2:
                modules.add(".".join(parts))
    return modules


@pytest.mark.parametrize(("source", "packages"), [
    ("studio.app", ("engine", "data", "io")),  # and the CLI, the training set-up, the bench
    ("studio.data", ("io",)),  # data and io are siblings: atomic writes are public in io
    ("studio.io", ("data",)),
])
def test_each_public_packages_contract_lists_every_private_module(source, packages):
    """`source` may import these packages, never their modules: the contract must name each
    module, or a new one would slip past the linter."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    root = Path(__file__).parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c.get("source_modules", [None])[0] == source and c["type"] == "forbidden"
                    and "public package" in c["name"])
    assert set(contract["forbidden_modules"]) == _private_modules(root, *packages)
    assert "studio.engine.conv.plan" in _private_modules(root, "engine")
