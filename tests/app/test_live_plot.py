"""Guard for the PySide6 6.12.0 + pyqtgraph 0.14 abort on live curve updates (see DESIGN.md)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg


def test_a_live_curve_survives_hundreds_of_updates(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.show()
    curve = plot.plot()
    x = np.arange(400, dtype=float)
    for step in range(1, 301):
        curve.setData(x[:step], np.exp(-x[:step] / 100))
        if step % 50 == 0:
            qtbot.wait(1)
    assert len(curve.getData()[0]) == 300
