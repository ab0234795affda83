"""The Help menu: how to start, every keyboard shortcut, and which version this is.

The shortcuts are read from the window's own menus, so the list can never
disagree with what the keys do.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from studio import __version__

GETTING_STARTED = """<h3>Getting started</h3>
<ol>
<li><b>Build</b>: pick a preset (Presets menu; LeNet-5 is the classic) or File → New and drag
layers from the palette on the left onto the canvas. Click a block to edit it on the right; the
Problems tab says what to fix before Train is enabled.</li>
<li><b>Train</b> (F5) starts a fresh run on the dataset chosen in the Training tab (synthetic
digits work offline; MNIST downloads once). <b>Continue</b> (Ctrl+F5) carries the last run
on.</li>
<li><b>Watch</b>: the Train &amp; watch page shows the loss, the filters, feature maps and
gradients live. Slow the run down with the watch speed, Pause (F6) and Step (F7) one batch at a
time; click a feature-map pixel to see the sum that made it.</li>
<li><b>Compare</b> runs in the Runs tab, and <b>export</b> the trained network (File → Export:
ONNX, PyTorch, .npz weights).</li>
</ol>
<p>Right-click any panel to save its picture or its numbers.</p>"""


def shortcut_rows(menus: list[QMenu]) -> list[tuple[str, str, str]]:
    """(menu, entry, keys) of every menu entry with a shortcut, in menu order."""
    rows = []
    for menu in menus:
        for action in menu.actions():
            if action.menu() is not None:
                continue
            keys = ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText)
                             for key in action.shortcuts())
            if keys:
                rows.append((menu.title().replace("&", ""), action.text().replace("&", ""),
                             keys))
    return rows


def _show(window: QMainWindow, name: str, title: str, text: str) -> QMessageBox:
    """A window-modal box that does not block: the event loop (and training) go on."""
    box = QMessageBox(QMessageBox.Icon.NoIcon, title, text, QMessageBox.StandardButton.Close,
                      window)
    box.setObjectName(name)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def show_getting_started(window: QMainWindow) -> QMessageBox:
    return _show(window, "gettingStarted", "Getting started", GETTING_STARTED)


def show_shortcuts(window: QMainWindow) -> QMessageBox:
    menus = [action.menu() for action in window.menuBar().actions() if action.menu()]
    rows = "".join(f"<tr><td>{html.escape(menu)}</td><td>{html.escape(entry)}</td>"
                   f"<td><b>{html.escape(keys)}</b></td></tr>"
                   for menu, entry, keys in shortcut_rows(menus))
    extra = ("<p>On the canvas: Up/Down select the layer above or below; Delete removes it; "
             "Ctrl+wheel zooms.</p>")
    return _show(window, "keyboardShortcuts", "Keyboard shortcuts",
                 f"<table cellspacing='6'>{rows}</table>{extra}")


def show_about(window: QMainWindow) -> QMessageBox:
    return _show(window, "aboutCnnStudio", "About CNN Studio",
                 f"<h3>CNN Studio {__version__}</h3><p>Build, train and watch convolutional "
                 "networks on MNIST, with an engine written from first principles in numpy "
                 "and Numba, and export them to ONNX and PyTorch.</p>")


#: the Help menu's entries: (text, what opens its box without blocking, shortcut)
HELP_ENTRIES = (("&Getting started", show_getting_started, QKeySequence.StandardKey.HelpContents),
                ("&Keyboard shortcuts", show_shortcuts, None),
                ("&About CNN Studio", show_about, None))
