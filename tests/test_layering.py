"""The engine, data and io never pull in Qt (import-linter checks the static imports too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def test_headless_packages_do_not_load_qt():
    code = ("import sys, studio.engine, studio.data, studio.io, studio.cli, studio.bench;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'torch')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_the_public_packages_contract_lists_every_private_module():
    """The app and the bench may import studio.engine, studio.data and studio.io, never their
    modules (subpackages too): the contract must name each module, or a new one would slip
    past the linter."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    root = Path(__file__).parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c.get("source_modules") == ["studio.app", "studio.bench"])
    modules = set()
    for package in ("engine", "data", "io"):
        for path in (root / "studio" / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if len(parts) > 2:  # not the public package itself
                modules.add(".".join(parts))
    assert "studio.engine.conv.plan" in modules
    assert set(contract["forbidden_modules"]) == modules
