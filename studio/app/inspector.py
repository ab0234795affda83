"""The layer inspector: edit the selected layer, and see its textbook arithmetic filled in."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Signal
from PySide6.QtGui import QKeySequence, QValidator
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
#: Digits after the point each number setting shows and keeps.
FLOAT_DECIMALS = {"rate": 2, "slope": 2, "momentum": 2, "eps": 6}
#: Why each whole-number setting stops where it does, for the sentence that refuses more.
LIMIT_REASONS = {
    "kernel": "a wider kernel covers more than a whole 28×28 digit",
    "filters": "more would take more memory and time than a lesson has",
    "units": "more would take more memory and time than a lesson has",
    "stride": "a longer stride skips most of the image",
    "size": "a larger window throws most of the feature map away",
}


class BoundedSpinBox(QSpinBox):
    """A whole-number editor that lets a number above its maximum be typed, then refuses
    it out loud (`refused`) instead of silently dropping the keystroke."""

    refused = Signal(int)  # the number typed

    def validate(self, text: str, pos: int) -> object:
        if text.strip().isdigit() and int(text) > self.maximum():
            return QValidator.State.Intermediate, text, pos  # not yet: said on Return
        return super().validate(text, pos)

    def fixup(self, text: str) -> str:
        if text.strip().isdigit() and int(text) > self.maximum():
            self.refused.emit(int(text))
        return super().fixup(text)


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


class DocumentUndoKeys(QObject):
    """Leaves Ctrl+Z and Ctrl+Shift+Z to the window's Undo and Redo while a field has focus.

    Every change of a field is already an edit on the document's undo stack, so the
    field's own text undo would only disagree with the Edit menu, which names the edit.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # True: filtered out before the field can accept it, so the window's shortcut fires
        return event.type() == QEvent.Type.ShortcutOverride and (
            event.matches(QKeySequence.StandardKey.Undo)
            or event.matches(QKeySequence.StandardKey.Redo))


class LayerInspector(QWidget):
    """Shows the document's selected layer, whatever changed: its form is rebuilt when
    another layer (or another type) is selected, and its values follow every edit."""

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
        self.notice = QLabel()  # why a value typed was not taken
        self.notice.setObjectName("inspectorNotice")
        self.notice.setWordWrap(True)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.description, self.form_host, self.notice, self.math,
                       self.problems):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.editors: dict[str, QWidget] = {}
        self._undo_keys = DocumentUndoKeys(self)
        self._shown: tuple[int, str] | None = None  # (layer identity, type) of the form
        document.selection_changed.connect(self._on_selection_change)
        document.changed.connect(self._on_document_change)
        self._on_document_change()

    def _on_selection_change(self, _index: int | None) -> None:
        self.notice.clear()
        self._on_document_change()

    def _on_document_change(self) -> None:
        index = self.document.selected
        if index is None:
            self._show_nothing()
            return
        layer = self.document.layer(index)
        layer_type = str(layer.get("type"))
        if self._shown != (self.document.selected_id, layer_type):
            self._build_form(layer_type)
            self._shown = (self.document.selected_id, layer_type)
        self.title.setText(f"<b>Layer {index}: {layer_type}</b>")
        info = self.document.analysis.layers[index]
        for key, editor in self.editors.items():
            with QSignalBlocker(editor):
                _show(editor, info.config.get(key, layer.get(key)))
        self.math.setText(arithmetic(info))
        self.problems.setText("\n".join(f"⚠ {p}" for p in
                                        self.document.analysis.problems_for(index)))

    def _show_nothing(self) -> None:
        self._clear_form()
        self._shown = None
        self.title.setText("<b>No layer selected</b>")
        self.description.setText("Click a block on the canvas to edit it, or drag a layer "
                                 "from the palette.")
        self.math.clear()
        self.problems.clear()

    def _clear_form(self) -> None:
        """Empty the form; the old editors go once control is back in the event loop, so one
        whose own signal led here is never deleted under it."""
        while self.form.rowCount():
            row = self.form.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                if item is not None and item.widget() is not None:
                    item.widget().hide()
                    item.widget().deleteLater()
        self.editors = {}

    def _build_form(self, layer_type: str) -> None:
        self._clear_form()
        self.description.setText(LAYER_DESCRIPTIONS.get(layer_type, ""))
        for key in LAYER_KEYS.get(layer_type, {}):
            editor = self._editor(key)
            for widget in (editor, getattr(editor, "lineEdit", lambda: None)()):
                if widget is not None:
                    widget.installEventFilter(self._undo_keys)
            self.editors[key] = editor
            self.form.addRow(key, editor)

    def _editor(self, key: str) -> QWidget:
        if key == "padding":
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItems(["valid", "same", "0", "1", "2", "3"])
            combo.currentTextChanged.connect(lambda text: self.change(key, _padding(text)))
            return combo
        if key in _FLOAT_KEYS:
            low, high, step = _FLOAT_KEYS[key]
            spin = QDoubleSpinBox()
            spin.setDecimals(FLOAT_DECIMALS[key])
            spin.setRange(low, high)
            spin.setSingleStep(step)
            spin.valueChanged.connect(lambda v: self.change(key, v))
            return spin
        spin = BoundedSpinBox()
        spin.setRange(*_INTEGER_KEYS.get(key, (1, 4096)))
        spin.valueChanged.connect(lambda v: self.change(key, v))
        spin.refused.connect(lambda typed: self._refuse(key, typed, spin))
        return spin

    def _refuse(self, key: str, typed: int, spin: QSpinBox) -> None:
        reason = LIMIT_REASONS.get(key, "the builder goes no further")
        self.notice.setText(f"⚠ {key} {typed} is more than this builder takes: at most "
                            f"{spin.maximum()} ({reason}). It stays {spin.value()}.")

    def change(self, key: str, value: Any) -> None:
        """Ask for the selected layer's `key` to become `value` (its editor was changed)."""
        index = self.document.selected
        if index is None:
            return
        layer = self.document.layer(index)
        if layer.get(key) != value:
            self.notice.clear()
            layer[key] = value
            self.edit_requested.emit(index, layer, key)


def _show(editor: QWidget, value: Any) -> None:
    """Put a setting into its editor; a value the editor cannot hold (from a broken file)
    shows as the editor's lowest, and the problems list says what is wrong."""
    if isinstance(editor, QComboBox):
        editor.setCurrentText(str(value))
    elif isinstance(editor, QDoubleSpinBox):
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        editor.setValue(float(value) if is_number else editor.minimum())
    elif isinstance(editor, QSpinBox):
        is_whole = isinstance(value, int) and not isinstance(value, bool)
        editor.setValue(value if is_whole else editor.minimum())


def _padding(text: str) -> Any:
    text = text.strip()
    return int(text) if text.isdigit() else text
