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
    for side in ("bottom", "left"):  # and no numbers outside the classes (it read −2…11)
        assert view.getAxis(side)._tickLevels == [[]]  # pyqtgraph has no getter for setTicks


def test_before_the_first_epoch_the_matrix_spans_the_classes_and_says_what_comes(window):
    window.pages.setCurrentIndex(1)
    panel = window.watch.evaluation
    (x0, x1), _ = panel.matrix_view.viewRange()
    assert 5 < x1 - x0 < 30  # the classes, not pyqtgraph's -0.5…0.5
    assert panel.waiting.isVisible() and "first epoch" in panel.waiting.toPlainText()


def test_the_counts_fit_their_cells(window, qtbot):
    import numpy as np

    from studio.engine import Evaluation

    window.resize(1024, 700)
    window.pages.setCurrentIndex(1)
    panel = window.watch.evaluation
    window.watch.tabs.setCurrentWidget(panel)
    confusion = np.full((10, 10), 3) + np.diag(np.full(10, 1100))
    labels = np.repeat(np.arange(10), 2)
    evaluation = Evaluation(loss=0.1, accuracy=0.9, predictions=labels.copy(),
                            confusion=confusion)
    panel.show_evaluation(evaluation, np.zeros((20, 28, 28)), labels, [str(i) for i in range(10)])
    qtbot.wait(50)
    assert not panel.waiting.isVisible()
    (x0, x1), _ = panel.matrix_view.viewRange()
    cell = panel.matrix_view.getViewBox().width() / (x1 - x0)
    widest = max(item.textItem.boundingRect().width() for item in panel.counts)
    assert 5 < widest <= cell, (widest, cell)
