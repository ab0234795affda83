"""Every live panel saves what it shows (PNG, SVG) and the numbers behind it (.npy, CSV)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QContextMenuEvent, QImage
from PySide6.QtWidgets import QApplication


@pytest.fixture
def drawn(trained, qtbot):
    """The trained window with every panel drawn once, and a digit drawn on the pad."""
    watch = trained.watch
    for page in (watch.filters, watch.feature_maps_page, watch.gradients, watch.evaluation,
                 watch.playground):
        watch.tabs.setCurrentWidget(page)
        qtbot.wait(250)  # the redraw timer draws the visible panel
    watch.drawing.sketch.drawn.emit(np.zeros((28, 28), np.float32))
    return trained


def panels(window):
    watch = window.watch
    return {"loss": watch.loss, "accuracy": watch.accuracy, "filters": watch.filters,
            "feature maps": watch.feature_maps, "gradients": watch.gradients,
            "mistakes": watch.evaluation, "drawing": watch.drawing,
            "playground": watch.playground}


def test_every_panel_saves_image_and_numbers(drawn, tmp_path):
    for name, panel in panels(drawn).items():
        png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
        panel.save_image(png)
        panel.save_image(svg)
        assert not QImage(str(png)).isNull(), name
        assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
        array, columns = panel.exported_data()
        panel.save_data(tmp_path / f"{name}.npy")
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), array, err_msg=name)
        panel.save_data(tmp_path / f"{name}.csv")
        lines = (tmp_path / f"{name}.csv").read_text().splitlines()
        if columns:
            assert lines[0] == ",".join(columns)
            np.testing.assert_allclose(np.loadtxt(lines[1:], delimiter=",", ndmin=2),
                                       array.reshape(len(array), -1), rtol=1e-6, equal_nan=True)
        else:  # leading indices, then the values along the last axis
            assert len(lines) - 1 == array.size // array.shape[-1]
    assert list(tmp_path.glob(".*tmp*")) == []  # atomic writes leave no temporaries


def test_the_loss_csv_holds_every_batch(drawn, tmp_path):
    loss = drawn.watch.loss
    loss.save_data(tmp_path / "loss.csv")
    table = np.loadtxt(tmp_path / "loss.csv", delimiter=",", skiprows=1)
    steps, losses = loss.data()
    np.testing.assert_array_equal(table[:, 0], steps)
    np.testing.assert_allclose(table[:, 1], losses, rtol=1e-8)
    assert len(table) == len(steps) > 10


def test_right_click_offers_the_save_menu(window, qtbot):
    panel = window.watch.loss
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(5, 5),
                              panel.caption.mapToGlobal(QPoint(5, 5)))
    QApplication.sendEvent(panel.caption, event)
    menu = QApplication.activePopupWidget()
    assert menu is not None and menu.objectName() == "panelExportMenu"
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Save image as PNG…", "Save image as SVG…", "Save data as .npy…",
                     "Save data as CSV…"]
    assert not menu.actions()[2].isEnabled()  # nothing trained yet: no numbers to save
    menu.close()


def test_saving_numbers_before_training_says_so(window, tmp_path):
    with pytest.raises(ValueError, match="train first"):
        window.watch.filters.save_data(tmp_path / "f.npy")
    assert not (tmp_path / "f.npy").exists()
