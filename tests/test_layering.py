"""The engine, data and io never pull in Qt (import-linter checks the static imports too)."""

from __future__ import annotations

import subprocess
import sys


def test_headless_packages_do_not_load_qt():
    code = ("import sys, studio.engine, studio.data, studio.io, studio.cli;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'torch')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
