"""Plots show numbers as they are, and an empty confusion matrix spans the classes."""

from __future__ import annotations

import pyqtgraph as pg


def test_no_plot_rescales_its_numbers_with_an_si_prefix(window):
    window.pages.setCurrentIndex(1)  # the Train & watch page is built when first shown
    plots = window.findChildren(pg.PlotWidget)
    names = {plot.objectName() for plot in plots}
    assert {"lossPlot", "accuracyPlot", "confusionMatrix", "gradientNormPlot", "runsLossPlot",
            "runsAccuracyPlot"} <= names
    for plot in plots:
        if plot.objectName() != "probabilityPlot":  # the drawing pad's bars: percentages
            for side in ("left", "bottom"):
                assert not plot.getAxis(side).autoSIPrefix, (plot.objectName(), side)


def test_an_empty_confusion_matrix_spans_the_classes_not_hundreds(window):
    window.watch.evaluation.clear()
    view = window.findChild(pg.PlotWidget, "confusionMatrix")
    (x0, x1), (y0, y1) = view.viewRange()
    assert x0 > -10 and x1 < 20 and y0 > -10 and y1 < 20  # the aspect lock widens one side
