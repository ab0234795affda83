"""The main window: palette | canvas | inspector, summary and problems below, menus above."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QThread
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.data import Dataset, default_source, load_dataset
from studio.engine import TrainConfig
from studio.io import (
    FileFormatError,
    load_preset,
    preset_names,
    read_json,
    write_architecture,
)

from .canvas import NetworkCanvas
from .commands import EditLayer, InsertLayer, MoveLayer, RemoveLayer, ReplaceArchitecture
from .document import NetworkDocument, empty_architecture
from .inspector import LayerInspector
from .palette import LayerPalette, new_layer
from .training_worker import TrainingWorker, start_worker

FILE_FILTER = "Network (*.json)"
MAX_RECENT = 8


class MainWindow(QMainWindow):
    def __init__(self, file: str | None = None, data: str | None = None):
        super().__init__()
        self.settings = QSettings()  # the application's organisation and name
        self.data_dir = data
        self.path: Path | None = None
        self.document = NetworkDocument(load_preset("lenet5"))
        self.undo_stack = QUndoStack(self)
        self.clipboard: dict[str, Any] | None = None
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self._dataset: Dataset | None = None
        self._last_epoch = ""

        self.palette = LayerPalette()
        self.canvas = NetworkCanvas(self.document)
        self.inspector = LayerInspector(self.document)
        self.summary = QLabel()
        self.summary.setObjectName("networkSummary")
        self.problems = QListWidget()
        self.problems.setObjectName("problemsList")
        self.problems.setMaximumHeight(90)
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("trainButton")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseButton")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        self._build_layout()
        self._build_menus()

        self.palette.append_requested.connect(
            lambda t: self.push(InsertLayer(self.document, len(self.document.layers),
                                            new_layer(t))))
        self.canvas.insert_requested.connect(
            lambda i, layer: self.push(InsertLayer(self.document, i, layer)))
        self.canvas.move_requested.connect(
            lambda s, t: self.push(MoveLayer(self.document, s, t)))
        self.inspector.edit_requested.connect(
            lambda i, layer, key: self.push(EditLayer(self.document, i, layer, key)))
        self.document.changed.connect(self._on_document_change)
        self.undo_stack.cleanChanged.connect(self._on_clean_change)
        self.train_button.clicked.connect(self.start_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_training)
        self._on_document_change()
        self._set_training(False)
        self.resize(1280, 800)
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if file:
            self.open_file(file)

    # layout and menus -------------------------------------------------------------
    def _build_layout(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.palette)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.inspector)
        splitter.setSizes([200, 640, 440])
        controls = QHBoxLayout()
        for widget in (self.train_button, self.pause_button, self.stop_button):
            controls.addWidget(widget)
        controls.addWidget(self.progress, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(controls)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems)
        self.setCentralWidget(central)

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&New", self.new_network, QKeySequence.StandardKey.New)
        self._action(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._action(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(file_menu, "Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addActions([undo, redo])
        edit.addSeparator()
        self._action(edit, "&Delete layer", self.delete_selected, QKeySequence.StandardKey.Delete)
        self._action(edit, "D&uplicate layer", self.duplicate_selected, "Ctrl+D")
        self._action(edit, "&Copy layer", self.copy_selected, QKeySequence.StandardKey.Copy)
        self._action(edit, "&Paste layer", self.paste, QKeySequence.StandardKey.Paste)
        view = bar.addMenu("&View")
        self._action(view, "&Fit network", self.canvas.fit, "Ctrl+0")
        presets = bar.addMenu("&Presets")
        for name in preset_names():
            title = load_preset(name).get("name", name)
            self._action(presets, title, lambda _=False, n=name: self.load_preset(n))
        self._refresh_recent()

    # editing ------------------------------------------------------------------------
    def push(self, command) -> None:
        if self.is_training():
            self.statusBar().showMessage("Stop training before editing the network.", 4000)
            return
        self.undo_stack.push(command)

    def delete_selected(self) -> None:
        if self.document.selected is not None:
            self.push(RemoveLayer(self.document, self.document.selected))

    def duplicate_selected(self) -> None:
        index = self.document.selected
        if index is not None:
            self.push(InsertLayer(self.document, index + 1, self.document.layer(index),
                                  "Duplicate"))

    def copy_selected(self) -> None:
        if self.document.selected is not None:
            self.clipboard = self.document.layer(self.document.selected)

    def paste(self) -> None:
        if self.clipboard is not None:
            index = self.document.selected
            at = len(self.document.layers) if index is None else index + 1
            self.push(InsertLayer(self.document, at, self.clipboard, "Paste"))

    def load_preset(self, name: str) -> None:
        if self.confirm_discard():
            self.push(ReplaceArchitecture(self.document, load_preset(name), f"Load preset {name}"))

    # document → window ------------------------------------------------------------------
    def _on_document_change(self) -> None:
        analysis = self.document.analysis
        memory_mb = analysis.activations_per_image * 4 * 64 * 2 / 1e6
        self.summary.setText(
            f"{len(analysis.layers)} layers · {analysis.total_parameters:,} parameters · "
            f"{analysis.total_macs:,} multiply-adds per image · "
            f"≈{memory_mb:.1f} MB of activations and gradients per batch of 64")
        self.problems.clear()
        for problem in analysis.problems:
            self.problems.addItem(f"⚠ {problem}")
        self.problems.setVisible(bool(analysis.problems))
        if analysis.ok:
            self.train_button.setToolTip("Train this network on the dataset")
        else:
            self.train_button.setToolTip("Cannot train yet:\n" + "\n".join(
                str(p) for p in analysis.problems))
        self._set_training(self.is_training())
        self._update_title()

    def _on_clean_change(self, _clean: bool) -> None:
        self._update_title()

    def _update_title(self) -> None:
        name = self.path.name if self.path else self.document.architecture.get("name", "Untitled")
        dirty = "" if self.undo_stack.isClean() else "*"
        self.setWindowTitle(f"CNN Studio — {name}{dirty}")

    # files --------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """True when there is nothing unsaved, or the person agrees to lose it."""
        if self.undo_stack.isClean():
            return True
        answer = QMessageBox.question(self, "Discard changes?",
                                      "The network has unsaved changes. Discard them?")
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "CNN Studio", message)

    def new_network(self) -> None:
        if self.confirm_discard():
            self.path = None
            self.document.set_architecture(empty_architecture())
            self.undo_stack.clear()
            self._update_title()

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open network", "", FILE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> bool:
        """Open an architecture JSON; a broken file shows a dialog and keeps the network."""
        try:
            architecture = read_json(path)
            if not isinstance(architecture, dict) or "layers" not in architecture:
                raise FileFormatError(f"{path}: not a CNN Studio network (no 'layers')")
        except FileFormatError as error:
            self.show_error(str(error))
            return False
        if not self.confirm_discard():
            return False
        self.document.set_architecture(architecture)
        self.undo_stack.clear()
        self.path = Path(path)
        self._remember(self.path)
        self._update_title()
        return True

    def save(self) -> bool:
        return self.save_to(self.path) if self.path else self.save_as()

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save network", "network.json", FILE_FILTER)
        return self.save_to(Path(path)) if path else False

    def save_to(self, path: Path) -> bool:
        try:
            write_architecture(path, self.document.architecture)
        except OSError as error:
            self.show_error(f"{path}: cannot be saved ({error.strerror})")
            return False
        self.path = Path(path)
        self.undo_stack.setClean()
        self._remember(self.path)
        self._update_title()
        return True

    def _remember(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("recentFiles", recent[:MAX_RECENT])
        self._refresh_recent()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles") or []
        return [value] if isinstance(value, str) else list(value)

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            self._action(self.recent_menu, path, lambda _=False, p=path: self.open_file(p))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    # training -----------------------------------------------------------------------
    def is_training(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def _set_training(self, training: bool) -> None:
        self.train_button.setEnabled(not training and self.document.analysis.ok)
        self.pause_button.setEnabled(training)
        self.stop_button.setEnabled(training)
        self.palette.setEnabled(not training)
        self.inspector.setEnabled(not training)

    def _load_dataset(self) -> Dataset:
        """Runs on the worker thread; the first load is kept for later runs."""
        if self._dataset is not None:
            return self._dataset
        if self.data_dir:
            return load_dataset("folder", self.data_dir)
        return load_dataset(default_source())

    def _on_dataset_ready(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self.statusBar().showMessage(dataset.note or dataset.describe())

    def start_training(self, config: TrainConfig | None = None) -> None:
        if self.is_training() or not self.document.analysis.ok:
            return
        worker = TrainingWorker(self.document.architecture, self._load_dataset,
                                config or TrainConfig(epochs=3, snapshot_interval=0))
        self.worker = worker
        worker.dataset_ready.connect(self._on_dataset_ready)
        worker.progress.connect(self._on_progress)
        worker.epoch_finished.connect(self._on_epoch)
        worker.finished.connect(self._on_training_end)
        worker.failed.connect(self._on_training_failed)
        self.progress.setFormat("loading the dataset…")
        self.thread = start_worker(worker)
        self.pause_button.setText("Pause")
        self._set_training(True)

    def toggle_pause(self) -> None:
        if self.worker is None:
            return
        if self.worker.paused:
            self.worker.resume()
            self.pause_button.setText("Pause")
        else:
            self.worker.pause()
            self.pause_button.setText("Resume")

    def stop_training(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def _on_progress(self, event) -> None:
        self.progress.setMaximum(event.total_steps)
        self.progress.setValue(event.step)
        self.progress.setFormat(
            f"epoch {event.epoch + 1} · batch {event.batch + 1}/{event.batches} · "
            f"loss {event.loss:.3f} · {event.images_per_second:,.0f} img/s · "
            f"{event.seconds_left:.0f} s left")

    def _on_epoch(self, event) -> None:
        self._last_epoch = f"Epoch {event.epoch + 1}: test accuracy {event.test.accuracy:.2%}."
        self.statusBar().showMessage(self._last_epoch)

    def _on_training_end(self, message: str) -> None:
        self._finish_thread()
        self.statusBar().showMessage(f"{message} {self._last_epoch}")
        self.progress.setFormat(f"{message} {self._last_epoch}")

    def _on_training_failed(self, message: str) -> None:
        self._finish_thread()
        self.show_error(message)

    def _finish_thread(self) -> None:
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait(2000)
        self.thread = None
        self._set_training(False)
        self.progress.setFormat("idle")
        self.progress.setValue(0)

    def closeEvent(self, event) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        if self.worker is not None:
            self.worker.stop()
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait(2000)
        self.settings.setValue("geometry", self.saveGeometry())
        super().closeEvent(event)


def _application(argv: list[str] | None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("CNN Studio")  # QSettings() is keyed by these
    app.setOrganizationName("CNN Studio")
    return app  # type: ignore[return-value]


def create_main_window(argv: list[str] | None = None, file: str | None = None,
                       data: str | None = None) -> MainWindow:
    _application(argv)
    return MainWindow(file, data)


def run_app(file: str | None = None, data: str | None = None) -> int:
    app = _application(None)
    window = MainWindow(file, data)
    window.show()
    return app.exec()
