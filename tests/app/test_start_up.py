"""The window opens without the modules only training, plots and exports need.

Numba, SciPy, pyqtgraph and pooch took about 2 of the 3 s the window needed to open;
they load after it is up (the kernel warm-up thread) or when a view needs them. What
is imported is checked rather than a time, which depends on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtWidgets import QWidget

HEAVY = ("numba", "scipy", "pyqtgraph", "pooch", "torch", "onnx", "onnxruntime")

BUILD = f"""
import json, sys
from studio.app import create_main_window
window = create_main_window([])
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_building_the_window_imports_no_kernels_plots_downloads_or_exporters(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           **{f"XDG_{kind}_HOME": str(tmp_path / kind)
              for kind in ("CONFIG", "DATA", "CACHE", "STATE")}}
    result = subprocess.run([sys.executable, "-c", BUILD], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_train_and_watch_page_is_built_when_first_shown(window, qtbot):
    assert window.findChild(QWidget, "watchPage") is None  # the Build page is what opens
    window.pages.setCurrentIndex(1)
    page = window.findChild(QWidget, "watchPage")
    assert page is not None and window.pages.currentWidget() is page
    assert window.pages.tabText(1) == "Train && watch"
    assert window.watch is page


def test_new_open_and_save_of_an_untrained_network_leave_the_page_unbuilt(window, tmp_path):
    """Only a project with something trained to show needs the Train & watch page."""
    window.new_network()
    window.load_preset("lenet5")
    assert window.save_to(tmp_path / "net.cnnproj")
    assert window.open_file(tmp_path / "net.cnnproj")
    assert window.save_to(tmp_path / "net.json") and window.open_file(tmp_path / "net.json")
    assert window.findChild(QWidget, "watchPage") is None
