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


PLACE = """
import json
from PySide6.QtWidgets import QApplication
from studio.app import create_main_window
window = create_main_window([])
window.show()
QApplication.processEvents()
free = window.screen().availableGeometry()
print(json.dumps([window.width(), window.height(), free.width(), free.height()]))
window.resize(900, 600)  # what the person made of it, to come back next time
QApplication.processEvents()
window.close()
"""


def test_a_first_window_fits_a_laptop_screen_and_a_closed_one_reopens_where_it_was(tmp_path):
    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1024,
                                               "height": 700, "logicalDpi": 96}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
           **{f"XDG_{kind}_HOME": str(tmp_path / kind)
              for kind in ("CONFIG", "DATA", "CACHE", "STATE")}}

    def opened() -> list[int]:
        result = subprocess.run([sys.executable, "-c", PLACE], env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    width, height, free_width, free_height = opened()
    assert (free_width, free_height) == (1024, 700)
    assert width <= 1024 and height <= 700 and width * height > 0.9 * 1024 * 700
    again = opened()[:2]  # the size it was closed at, from the saved geometry
    assert again[0] == 900 and 560 <= again[1] <= 600  # (Qt may keep room for a title bar)
