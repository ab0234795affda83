"""The layer inspector: edit the selected layer, and see its textbook arithmetic filled in."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine import LAYER_DESCRIPTIONS, LAYER_KEYS, LayerInfo

from .document import NetworkDocument

_INTEGER_KEYS = {"filters": (1, 1024), "kernel": (1, 31), "stride": (1, 8), "size": (1, 16),
                 "units": (1, 8192)}
_FLOAT_KEYS = {"rate": (0.0, 0.95, 0.05), "slope": (0.0, 0.9, 0.01),
               "momentum": (0.01, 0.99, 0.01), "eps": (1e-6, 0.1, 1e-5)}


def arithmetic(info: LayerInfo) -> str:
    """The formulas of this layer with its actual numbers."""
    c, shape = info.config, info.input_shape
    if shape is None or info.output_shape is None:
        return ""
    if info.type == "conv2d":
        channels, height, width = shape
        f, s, p, filters = c["kernel"], c["stride"], info.padding, c["filters"]
        lines = [f"H_o = ⌊({height} + 2·{p} − {f})/{s}⌋ + 1 = {info.output_shape[1]}",
                 f"W_o = ⌊({width} + 2·{p} − {f})/{s}⌋ + 1 = {info.output_shape[2]}",
                 f"parameters = ({f}·{f}·{channels} + 1)·{filters} = {info.parameters:,}",
                 f"multiply-adds = {filters}·{info.output_shape[1]}·{info.output_shape[2]}·"
                 f"{channels}·{f}·{f} = {info.macs:,}"]
        return "\n".join(lines)
    if info.type in ("maxpool2d", "avgpool2d"):
        _, height, width = shape
        k, s = c["size"], c["stride"]
        return (f"H_o = ⌊({height} − {k})/{s}⌋ + 1 = {info.output_shape[1]}\n"
                f"W_o = ⌊({width} − {k})/{s}⌋ + 1 = {info.output_shape[2]}\nparameters = 0")
    if info.type == "dense":
        return (f"parameters = ({shape[0]} + 1)·{c['units']} = {info.parameters:,}\n"
                f"multiply-adds = {shape[0]}·{c['units']} = {info.macs:,}")
    if info.type == "flatten":
        return f"{'·'.join(map(str, shape))} = {info.output_shape[0]:,} values"
    if info.type == "batchnorm2d":
        return f"parameters = 2·{shape[0]} = {info.parameters} (γ and β per channel)"
    return "keeps the shape; no parameters"


class LayerInspector(QWidget):
    edit_requested = Signal(int, dict, str)  # index, new layer, changed key

    def __init__(self, document: NetworkDocument, parent=None):
        super().__init__(parent)
        self.setObjectName("layerInspector")
        self.document = document
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.math = QLabel()
        self.math.setObjectName("layerArithmetic")
        self.math.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #d62728")
        layout = QVBoxLayout(self)
        for widget in (self.title, self.description, self.form_host, self.math, self.problems):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.editors: dict[str, QWidget] = {}
        self._index: int | None = None
        document.selection_changed.connect(self._on_selection_change)
        document.changed.connect(self._on_document_change)
        self._on_selection_change(document.selected)

    def _on_selection_change(self, index: int | None) -> None:
        self._index = index
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}
        if index is None:
            self.title.setText("<b>No layer selected</b>")
            self.description.setText("Click a block on the canvas to edit it, or drag a layer "
                                     "from the palette.")
            self.math.clear()
            self.problems.clear()
            return
        layer = self.document.layer(index)
        layer_type = layer.get("type")
        self.title.setText(f"<b>Layer {index}: {layer_type}</b>")
        self.description.setText(LAYER_DESCRIPTIONS.get(layer_type, ""))
        for key in LAYER_KEYS.get(layer_type, {}):
            editor = self._editor(key, layer.get(key))
            self.editors[key] = editor
            self.form.addRow(key, editor)
        self._on_document_change()

    def _editor(self, key: str, value: Any) -> QWidget:
        if key == "padding":
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItems(["valid", "same", "0", "1", "2", "3"])
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(lambda text: self._change(key, _padding(text)))
            return combo
        if key in _FLOAT_KEYS:
            low, high, step = _FLOAT_KEYS[key]
            spin = QDoubleSpinBox()
            spin.setDecimals(5 if key == "eps" else 2)
            spin.setRange(low, high)
            spin.setSingleStep(step)
            spin.setValue(float(value))
            spin.valueChanged.connect(lambda v: self._change(key, v))
            return spin
        spin = QSpinBox()
        low, high = _INTEGER_KEYS.get(key, (1, 4096))
        spin.setRange(low, high)
        spin.setValue(int(value) if isinstance(value, int) else low)
        spin.valueChanged.connect(lambda v: self._change(key, v))
        return spin

    def _change(self, key: str, value: Any) -> None:
        if self._index is None:
            return
        layer = self.document.layer(self._index)
        if layer.get(key) != value:
            layer[key] = value
            self.edit_requested.emit(self._index, layer, key)

    def _on_document_change(self) -> None:
        index = self._index
        if index is None or index >= len(self.document.layers):
            return
        layer = self.document.layer(index)
        for key, editor in self.editors.items():
            with QSignalBlocker(editor):
                if isinstance(editor, QComboBox):
                    editor.setCurrentText(str(layer.get(key)))
                elif isinstance(editor, QDoubleSpinBox):
                    editor.setValue(float(layer.get(key)))
                elif isinstance(layer.get(key), int):
                    editor.setValue(layer[key])
        info = self.document.analysis.layers[index]
        self.math.setText(arithmetic(info))
        self.problems.setText("\n".join(f"⚠ {p}" for p in
                                        self.document.analysis.problems_for(index)))


def _padding(text: str) -> Any:
    text = text.strip()
    return int(text) if text.isdigit() else text
