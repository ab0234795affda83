"""The builder tells a beginner what is going on: a refused value says why, a squashing
activation after the class scores is a warning, an empty network says what to do, counts
read as English, and every part of a block explains itself."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsSimpleTextItem

from .canvas_input import click_block, double_click_palette


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_a_kernel_too_large_to_take_is_refused_with_the_reason(window, qtbot):
    click_block(window.canvas, 0)  # LeNet-5's conv 6@5×5
    kernel = window.inspector.editors["kernel"]
    type_into(qtbot, kernel, "50")
    assert window.document.layers[0]["kernel"] == 5  # not silently cut to 31 or 5
    notice = window.inspector.notice.text()
    assert "kernel 50 is more than this builder takes: at most 31" in notice
    assert "28×28 digit" in notice and "It stays 5" in notice
    type_into(qtbot, kernel, "3")  # a value it takes clears the notice
    assert window.document.layers[0]["kernel"] == 3 and not window.inspector.notice.text()


def test_a_sigmoid_after_the_last_dense_layer_is_a_warning_that_says_why(window, qtbot):
    window.load_preset("tiny")
    click_block(window.canvas, len(window.document.layers) - 1)
    double_click_palette(window, "sigmoid")  # after the selected last dense layer
    assert window.document.layers[-1]["type"] == "sigmoid"
    assert window.train_button.isEnabled()  # it trains: a warning, not a problem
    items = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert len(items) == 1 and items[0].startswith("ⓘ layer")
    assert "squashes the class scores" in items[0] and "remove it" in items[0]
    assert window.bottom_tabs.tabText(1) == "Problems (0), 1 warning"


def canvas_texts(canvas) -> str:
    return "\n".join(item.text() for item in canvas.scene().items()
                     if isinstance(item, QGraphicsSimpleTextItem))


def test_an_empty_network_says_what_to_do_and_counts_read_as_english(window, qtbot):
    window.new_network()
    assert "drag them here from the palette" in canvas_texts(window.canvas)
    assert "fix the marked layers" not in canvas_texts(window.canvas)  # nothing is marked
    assert window.summary.text().startswith("0 layers · 0 parameters · ")
    double_click_palette(window, "flatten")
    assert window.summary.text().startswith("1 layer · 0 parameters · ")
    assert not window.palette.selectedItems()  # added: no highlight left as if a mode


def test_a_network_without_an_end_says_what_it_lacks_not_to_fix_unmarked_layers(window):
    window.new_network()
    for layer_type in ("conv2d", "relu"):
        double_click_palette(window, layer_type)
    text = " ".join(canvas_texts(window.canvas).split())
    assert "fix the marked layers" not in text
    assert "to reach the class scores: the network must end in a flat vector" in text
    double_click_palette(window, "dense")  # dense after an image: this block is marked
    assert "fix the marked layers" in canvas_texts(window.canvas)


def test_a_blocks_bar_says_what_its_length_means(window):
    bars = [block.bar.toolTip() for block in window.canvas.blocks]
    assert "4,704 values per image" in bars[0]  # conv 6@5×5 same: 6×28×28
    assert all("log scale" in tip for tip in bars)


def test_every_layer_name_in_the_palette_is_whole_at_1024x700(window, qtbot):
    window.resize(1024, 700)
    qtbot.wait(100)
    palette = window.palette
    for layer_type, item in palette.layer_items().items():
        shown = palette.visualItemRect(item)
        needed = palette.fontMetrics().horizontalAdvance(layer_type) + palette.iconSize().width()
        assert shown.left() + needed <= palette.viewport().width(), layer_type


def test_the_empty_networks_hint_can_be_read_whole_at_1024x700(window, qtbot):
    """It ran past the canvas's right edge ("…from the Presets me")."""
    window.resize(1024, 700)
    window.new_network()
    qtbot.wait(100)
    view = window.canvas
    hint = next(item for item in view.scene().items()
                if isinstance(item, QGraphicsSimpleTextItem) and "Presets" in item.text())
    view.ensureVisible(hint)  # at most a scroll away, never outside the scene
    qtbot.wait(50)
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(hint.sceneBoundingRect())
