"""pyqtgraph's colours, from the desktop's light or dark theme.

Set by whichever view first needs pyqtgraph (the Train & watch page, the image
folder preview), not at start-up: importing pyqtgraph takes longer than opening
the window.
"""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication


def apply_plot_theme() -> None:
    """Plots take the application palette's base and text colours, without antialiasing."""
    import pyqtgraph as pg

    palette = QApplication.palette()
    pg.setConfigOptions(antialias=False, background=palette.color(QPalette.ColorRole.Base),
                        foreground=palette.color(QPalette.ColorRole.Text))
