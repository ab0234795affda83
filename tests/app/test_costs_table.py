"""The builder's memory figures are the engine's: what the table shows is what training checks."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget

from studio.engine import bytes_needed
from studio.engine.memory import memory_problem


def memory_column(window) -> list[str]:
    return [window.table.item(r, 5).text() for r in range(window.table.rowCount())]


def test_a_layer_row_counts_its_output_its_gradient_and_the_kernels_scratch(window):
    window.load_preset("lenet5")
    window.training_panel.batch_size.setValue(64)
    # conv 6@5×5 same: 6·28·28 = 4704 values per image, three copies of 4 bytes, 64 images
    assert memory_column(window)[0] == f"{4704 * 3 * 4 * 64 / 1e6:.1f} MB" == "3.6 MB"


def test_the_total_is_the_figure_the_engine_refuses_training_at(window, monkeypatch):
    window.load_preset("lenet5")
    window.training_panel.batch_size.setValue(256)
    analysis = window.document.analysis
    needed = bytes_needed(analysis, 256)
    assert memory_column(window)[-1] == f"{needed / 1e6:.1f} MB"
    assert f"{needed / 1e6:.1f} MB of training memory per batch of 256" in window.summary.text()
    # the engine trains when the shown figure fits in 80 % of the memory left, not otherwise
    monkeypatch.setattr("studio.engine.memory.available_bytes", lambda: needed * 5 // 4 + 8)
    assert memory_problem(analysis, 256) is None
    monkeypatch.setattr("studio.engine.memory.available_bytes", lambda: needed * 5 // 4 - 8)
    assert memory_problem(analysis, 256) is not None


def test_on_a_wide_screen_the_numbers_stay_beside_their_layer_names(window, qtbot):
    window.resize(1920, 1080)
    qtbot.wait(50)
    table = window.findChild(QTableWidget, "layerTable")
    name_column = table.columnWidth(1)
    widest_name = max(table.fontMetrics().horizontalAdvance(table.item(r, 1).text())
                      for r in range(table.rowCount()))
    assert name_column < widest_name + 60  # it stretched to ~1,500 px
