"""The main window: palette | canvas | inspector and training settings; costs and problems below.

The window wires widgets to the document (through undo commands), to project
files and to the training controller. It computes nothing itself.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPixmap, QUndoStack
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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio import engine
from studio.data import Dataset, ImageFolder, default_source, is_cached
from studio.io import (
    FileFormatError,
    Project,
    export_files,
    export_model,
    load_preset,
    preset_names,
    resource_files,
)
from studio.training_setup import training_data

from .canvas import NetworkCanvas
from .commands import EditLayer, InsertLayer, MoveLayer, RemoveLayer, ReplaceArchitecture
from .dataset_preload import DatasetPreload
from .dialog_folders import remember_folder, start_folder
from .document import NetworkDocument, empty_architecture
from .filter_command import PutKernel
from .garbage_collection import GuiThreadCollector
from .help_menu import HELP_ENTRIES
from .inspector import LayerInspector
from .kernel_warmup import KernelWarmup
from .pace_control import PaceControl, speed_text
from .palette import LayerPalette, new_layer
from .plot_theme import apply_plot_theme
from .project_session import PROJECT_SUFFIX, ProjectSession
from .run_recorder import RunRecorder
from .run_start import run_start
from .summary_table import SummaryTable, count_text, memory_text
from .training_controller import TrainingController, frozen_kernels
from .training_panel import TrainingPanel, settings_of, training_config

if TYPE_CHECKING:
    from .watch_page import WatchPage

DEFAULT_SIZE = (1280, 800)  # the README's screenshots; smaller screens get their free area

FILE_FILTERS = (f"CNN Studio project (*{PROJECT_SUFFIX});;Architecture JSON (*.json);;"
                "Trained weights (*.npz)")
#: the status bar, while a first launch's run trains on the textbook loops
COMPILING = ("First launch: training on the textbook loops (slow; the same numbers) while the "
             "fast kernels compile.")
EXPORT_FILTERS = ("ONNX model (*.onnx);;PyTorch module (*.py);;Weights (*.npz);;"
                  "Architecture JSON (*.json)")


class MainWindow(QMainWindow):
    def __init__(self, file: str | None = None, data: str | None = None):
        super().__init__()
        self.settings = QSettings()  # the application's organisation and name
        self.session = ProjectSession(self.settings, self._autosave_snapshot, self)
        self.recorder = RunRecorder()
        self._after_run: Callable[[], None] | None = None  # what to start once a run has ended
        self._begin_run: Callable[[], None] | None = None  # shows a launched run once under way
        self.document = NetworkDocument(load_preset("lenet5"))
        self.undo_stack = QUndoStack(self)
        self.clipboard: dict[str, Any] | None = None
        self.settings_dirty = False
        self.training = TrainingController(self)
        self.preload = DatasetPreload(self)
        self.preload.loaded.connect(self._on_preloaded)
        self._dataset: tuple[tuple, Dataset] | None = None  # (source key, dataset)
        self._last_epoch = ""
        self._compiling = False  # the run's batches are on the textbook loops for now
        self._build_widgets()
        self._build_layout()
        self._build_menus()
        self._connect()
        self._on_document_change()
        self._set_training(False)
        self._reset_progress()
        self._place_on_screen()
        self._open_at_start(file, data)
        self.statusBar().showMessage("Preparing the compute kernels in the background (slow "
                                     "only on the first launch)…")
        self.warmup = KernelWarmup(self.document.architecture,  # the canvas's network first
                                   int(self.training_panel.settings.get("batch_size", 64)), self)
        self.warmup.done.connect(self._on_kernels_ready)
        QTimer.singleShot(0, self.warmup.start)  # once the window is up: see `watch`

    def _place_on_screen(self) -> None:
        """Where the window was last closed, or else the default size shrunk to the
        screen's free area: without it a 1024×700 laptop opened a window wider than itself."""
        geometry = self.settings.value("geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            return
        free = self.screen().availableGeometry()
        self.resize(min(DEFAULT_SIZE[0], free.width()), min(DEFAULT_SIZE[1], free.height()))

    @property
    def watch(self) -> WatchPage:
        """The Train & watch page, built when it is first shown or needed.

        Its plots import pyqtgraph and its drawings the engine's kernels (Numba), seconds
        that the window need not wait for (docs/performance.md, 'Start-up'): it opens on
        the Build page, and the kernels load on the warm-up thread meanwhile.
        """
        if self._watch is None:
            self._build_watch()
        assert self._watch is not None
        return self._watch

    def _build_watch(self) -> None:
        from .watch_page import WatchPage

        engine.serial_in_this_thread()  # the page's passes are single images (its docstring)
        apply_plot_theme()
        self._watch = watch = WatchPage(self.document, self._fast_kernels_ready)
        index, current = self.pages.indexOf(self._watch_placeholder), self.pages.currentIndex()
        title = self.pages.tabText(index)
        blocked = self.pages.blockSignals(True)  # the swap is no change of page
        self.pages.removeTab(index)
        self.pages.insertTab(index, watch, title)
        self.pages.setCurrentIndex(current)
        self.pages.blockSignals(blocked)
        self._watch_placeholder.deleteLater()
        self.training.snapshot.connect(watch.offer_snapshot)
        watch.feature_maps.sample_changed.connect(self.training.set_sample)
        watch.playground.use_kernel.connect(self.use_kernel)
        watch.canvas.health_clicked.connect(self.offer_suggestion)

    def _fast_kernels_ready(self, architecture: dict) -> bool:
        ready = self.warmup.fast_kernels_for(architecture)
        return ready is None or ready.is_set()

    def _on_page_change(self, index: int) -> None:
        if self.pages.widget(index) is self._watch_placeholder:
            self._build_watch()

    def _open_at_start(self, file: str | None, data: str | None) -> None:
        """Work recovered after a crash, else the file given on the command line; its
        dataset folder wins over the project's."""
        leftover = self.session.leftover()
        if leftover is not None and self.offer_recovery():
            self._replace_project(leftover, None)
            self.settings_dirty = True  # recovered work is unsaved until saved
            self._update_title()
        elif file:
            self.open_file(file)
        if data:
            self.training_panel.set_settings({**self.training_panel.settings,
                                              "dataset": "folder", "folder": data})

    # layout, menus, wiring ------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.palette = LayerPalette()
        self.canvas = NetworkCanvas(self.document)
        self.inspector = LayerInspector(self.document)
        self.training_panel = TrainingPanel()
        # offline by default: cached MNIST when it is there, synthetic digits otherwise
        self.training_panel.set_settings({"dataset": default_source()})
        self.summary = QLabel()
        self.summary.setObjectName("networkSummary")
        self.table = SummaryTable()
        self.problems = QListWidget()
        self.problems.setObjectName("problemsList")
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("trainButton")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setObjectName("continueButton")
        self.step_button = QPushButton("Step")
        self.step_button.setObjectName("stepButton")
        self.step_button.setToolTip("While paused: train one batch and show it (F7)")
        self.pace = PaceControl()
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseButton")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self._watch: WatchPage | None = None  # built when first needed: see `watch`
        self._watch_placeholder = QWidget()

    def _build_layout(self) -> None:
        self.side_tabs = QTabWidget()
        self.side_tabs.addTab(self.inspector, "Layer")
        self.side_tabs.addTab(self.training_panel, "Training")
        self.palette_help = QLabel("Drag a layer onto the network, or double-click it to add "
                                   "it after the selected layer. Point at a layer to see "
                                   "what it does.")
        self.palette_help.setWordWrap(True)
        self.palette.explained.connect(self.palette_help.setText)
        palette_column = QWidget()
        column = QVBoxLayout(palette_column)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.palette, 1)
        column.addWidget(self.palette_help)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(palette_column)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.side_tabs)
        splitter.setSizes([190, 620, 470])
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.addTab(self.table, "Costs per layer")
        self.bottom_tabs.addTab(self.problems, "Problems")
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(splitter)
        vertical.addWidget(self.bottom_tabs)
        vertical.setSizes([560, 180])
        build = QWidget()
        build_layout = QVBoxLayout(build)
        build_layout.setContentsMargins(0, 0, 0, 0)
        build_layout.addWidget(vertical)
        self.pages = QTabWidget()
        self.pages.addTab(build, "Build")
        self.pages.addTab(self._watch_placeholder, "Train && watch")
        self.pages.currentChanged.connect(self._on_page_change)
        controls = QHBoxLayout()
        for widget in (self.train_button, self.continue_button, self.pause_button,
                       self.step_button, self.stop_button, self.pace):
            controls.addWidget(widget)
        controls.addWidget(self.progress, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(controls)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.summary)
        self.setCentralWidget(central)

    def _action(self, menu, text: str, slot, shortcut=None, canvas_only: bool = False
                ) -> QAction:
        """A menu entry with a shortcut; `canvas_only` keeps keys like Delete for text fields."""
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if canvas_only:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.canvas.addAction(action)
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
        self._action(file_menu, "&Export…", self.export_dialog, "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addActions([undo, redo])
        edit.addSeparator()
        self._action(edit, "&Delete layer", self.delete_selected,
                     QKeySequence.StandardKey.Delete, canvas_only=True)
        self._action(edit, "D&uplicate layer", self.duplicate_selected, "Ctrl+D",
                     canvas_only=True)
        self._action(edit, "&Copy layer", self.copy_selected, QKeySequence.StandardKey.Copy,
                     canvas_only=True)
        self._action(edit, "&Paste layer", self.paste, QKeySequence.StandardKey.Paste,
                     canvas_only=True)
        view = bar.addMenu("&View")
        self._action(view, "&Fit network", self.canvas.fit, "Ctrl+0")
        train = bar.addMenu("&Training")
        self._action(train, "&Train (a new run)", self.start_training, "F5")
        self.continue_action = self._action(train, "&Continue the last run",
                                            self.continue_training, "Ctrl+F5")
        self._action(train, "&Pause / resume", self.toggle_pause, "F6")
        self._action(train, "Step &one batch (while paused)", self.step_training, "F7")
        self._action(train, "&Stop", self.stop_training, "Shift+F5")
        self._action(train, "Training &settings", lambda: self.side_tabs.setCurrentIndex(1),
                     "Ctrl+,")
        presets = bar.addMenu("&Presets")
        for name in preset_names():
            title = load_preset(name).get("name", name)
            self._action(presets, title, lambda _=False, n=name: self.load_preset(n))
        help_menu = bar.addMenu("&Help")
        for text, show, key in HELP_ENTRIES:
            self._action(help_menu, text, lambda _=False, show=show: show(self), key)
        self._refresh_recent()

    def _connect(self) -> None:
        self.palette.add_requested.connect(
            lambda t: self.push(InsertLayer(self.document, self.document.insertion_index(),
                                            new_layer(t))))
        self.canvas.insert_requested.connect(
            lambda i, layer: self.push(InsertLayer(self.document, i, layer)))
        self.canvas.move_requested.connect(
            lambda s, t: self.push(MoveLayer(self.document, s, t)))
        self.inspector.edit_requested.connect(
            lambda i, layer, key: self.push(EditLayer(self.document, i, layer, key)))
        self.document.changed.connect(self._on_document_change)
        self.document.selection_changed.connect(self._on_selection_change)
        self.undo_stack.cleanChanged.connect(self._on_clean_change)
        self.training_panel.changed.connect(self._on_settings_change)
        self.train_button.clicked.connect(self.start_training)
        self.continue_button.clicked.connect(self.continue_training)
        self.step_button.clicked.connect(self.step_training)
        self.pace.changed.connect(self.training.set_pace)
        self.training.set_pace(self.pace.speed)  # the speed remembered from the last session
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_training)
        self.training.dataset_ready.connect(self._on_dataset_ready)
        self.training.began.connect(self._on_run_began)
        self.training.download.connect(self._on_download)
        self.training.progress.connect(self._on_progress)
        self.training.epoch_finished.connect(self._on_epoch)
        self.training.ended.connect(self._on_training_end)
        self.training.failed.connect(self._on_training_failed)
        self.training.notice.connect(self.statusBar().showMessage)

    # editing ------------------------------------------------------------------------
    def push(self, command) -> None:
        if self.training.running:
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
            self.push(InsertLayer(self.document, self.document.insertion_index(),
                                  self.clipboard, "Paste"))

    def load_preset(self, name: str) -> None:
        if self.confirm_discard():
            self.push(ReplaceArchitecture(self.document, load_preset(name), f"Load preset {name}"))

    # document → window ------------------------------------------------------------------
    def _on_document_change(self) -> None:
        if self.document.analysis.input_shape:
            self.training_panel.input_shape = self.document.analysis.input_shape
        analysis = self.document.analysis
        batch = self.training_panel.settings["batch_size"]
        self.summary.setText(
            f"{count_text(len(analysis.layers), 'layer')} · "
            f"{count_text(analysis.total_parameters, 'parameter')} · "
            f"{count_text(analysis.total_macs, 'multiply-add')} per image · "
            f"{memory_text(engine.bytes_needed(analysis, batch))} of training memory per batch "
            f"of {batch}")
        self.table.show_analysis(analysis, batch)
        self._show_dataset_images()
        self.problems.clear()
        for problem in analysis.problems:
            self.problems.addItem(f"⚠ {problem}")
        for warning in analysis.warnings:  # trains, but is worth fixing
            self.problems.addItem(f"ⓘ {warning}")
        self.bottom_tabs.setTabText(1, f"Problems ({len(analysis.problems)})" + (
            f", {count_text(len(analysis.warnings), 'warning')}" if analysis.warnings else ""))
        if analysis.ok:
            self.train_button.setToolTip("Train this network (F5)")
        else:
            self.train_button.setToolTip("Cannot train yet:\n" + "\n".join(
                str(p) for p in analysis.problems))
            self.bottom_tabs.setCurrentWidget(self.problems)
        self._set_training(self.training.running)
        self._update_title()

    def _on_selection_change(self, index: int | None) -> None:
        if index is not None:
            self.side_tabs.setCurrentWidget(self.inspector)

    def _on_kernels_ready(self, seconds: float) -> None:
        if any(words in self.statusBar().currentMessage()
               for words in ("compute kernels", COMPILING)):
            self.statusBar().showMessage(
                f"The compute kernels are compiled and cached ({seconds:.0f} s); later launches "
                "start at once." if seconds > 3 else "Ready.", 8000)

    def _on_settings_change(self) -> None:
        self.settings_dirty = True
        self._match_dataset_classes()
        self._on_document_change()

    def _match_dataset_classes(self) -> None:
        """The network must end in as many outputs as the chosen dataset has classes."""
        scanned = self.training_panel.image_folder()
        uses_images = (self.training_panel.settings["dataset"] == "folder"
                       and isinstance(scanned, ImageFolder))
        self.document.set_num_classes(len(scanned.classes) if uses_images else 10)

    def _on_clean_change(self, _clean: bool) -> None:
        self._update_title()

    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean() or self.settings_dirty

    def _update_title(self) -> None:
        path = self.session.path
        name = path.name if path else self.document.architecture.get("name", "Untitled")
        self.setWindowTitle(f"CNN Studio — {name}{'*' if self.is_dirty() else ''}")

    # files --------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """True when there is nothing unsaved, or the person saved it or chose to lose it."""
        if not self.is_dirty():
            return True
        choice = ask_save_discard_or_cancel(self)
        return self.save() if choice == "save" else choice == "discard"

    def confirm_replace(self, files: list[Path]) -> bool:
        """Whether to replace files a save or an export writes beside the one named (the
        file dialog asked about that one only)."""
        listed = "\n".join(str(file) for file in files)
        answer = QMessageBox.question(
            self, "Replace files?", f"This also writes the following, which already exist and "
            f"would be replaced:\n\n{listed}\n\nReplace them?",
            defaultButton=QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def offer_recovery(self) -> bool:
        answer = QMessageBox.question(
            self, "Recover unsaved work?",
            "CNN Studio did not close normally last time. Recover the network and settings "
            "it saved automatically?")
        return answer == QMessageBox.StandardButton.Yes

    def _autosave_snapshot(self) -> Project | None:
        if not self.is_dirty():
            return None
        return self._project()

    def _project(self) -> Project:
        """The open project as it is now: network, settings, trained weights, runs."""
        return Project(self.document.architecture, dict(self.training_panel.settings),
                       self.trained_weights(), self.recorder.runs)

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "CNN Studio", message)

    def _replace_project(self, project: Project, path: Path | None) -> None:
        self.document.set_architecture(project.architecture)
        self.training_panel.set_settings(project.training)
        self._match_dataset_classes()
        self.recorder.adopt(project.runs, project.weights)
        self.training.starting_filters = frozen_kernels(project.training, project.weights)
        timeline, problem = self.session.timeline(path)
        if problem:
            self.statusBar().showMessage(problem)
        # a project with nothing trained leaves the Train & watch page unbuilt (see `watch`)
        if self._watch is not None or project.weights is not None or project.runs or timeline:
            self._show_in_watch(project, timeline)
        self._show_last_result()
        self.undo_stack.clear()
        self.settings_dirty = False
        self.session.path = path
        self._adopt_checkpoint(project, path)
        self._on_document_change()

    def _show_in_watch(self, project: Project, timeline: tuple | None) -> None:
        """The project's weights, runs and saved timeline, or empty panels without them."""
        self.watch.model = None
        if project.weights is not None:
            network = engine.Network(project.architecture)
            network.load_state_dict(project.weights)
            self.watch.set_model(network)
        self.watch.runs.set_runs(self.recorder.runs)
        self.watch.start_run()  # empty panels and timeline, until a run or a saved timeline
        if timeline is not None:
            self.watch.load_timeline(*timeline)
        if self.recorder.runs:  # the curves, confusion matrix and mistakes as they were left
            self.watch.show_finished_run(self.recorder.runs)
            self._preload_dataset()

    def _adopt_checkpoint(self, project: Project, path: Path | None) -> None:
        """Continue from this project's checkpoint, if it has one (see `checkpoints`)."""
        found = self.session.checkpoint(project, path)
        if found is None:
            return
        if not found.same_weights:
            self.settings_dirty = True  # weights trained after the last save: offer to save
        self.watch.set_model(found.network)
        if found.unfinished:
            self.training.stopped_run = (self.document.architecture, found.config, found.state)
            self.statusBar().showMessage(
                f"This network's last run stopped in epoch {int(found.state['epoch']) + 1} of "
                f"{found.config.epochs}: Continue carries it on exactly where it stopped.")

    def new_network(self) -> None:
        if self.confirm_discard():
            self._replace_project(Project(empty_architecture()), None)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", str(start_folder("projects")),
                                              FILE_FILTERS)
        if path:
            remember_folder("projects", path)
            self.open_file(path)

    def open_file(self, path: str | Path) -> bool:
        """Open a project or architecture JSON; a broken file shows a dialog and keeps
        the current network."""
        try:
            project = self.session.read(path)
        except FileFormatError as error:
            self.show_error(str(error))
            return False
        if not self.confirm_discard():
            return False
        self._replace_project(project, Path(path))
        self.session.remember(Path(path))
        self._refresh_recent()
        return True

    def save(self) -> bool:
        return self.save_to(self.session.path) if self.session.path else self.save_as()

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save", str(start_folder("projects") / f"network{PROJECT_SUFFIX}"),
            FILE_FILTERS)
        if not path:
            return False
        remember_folder("projects", path)
        return self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        """A .json path gets the architecture alone; anything else the whole project."""
        store = None if self._watch is None else self._watch.store  # no page: no timeline
        project = self._project()
        timeline = ((store.for_disk(), store.evaluations) if store is not None and store.snapshots
                    else None)
        replaced = self.session.replaced_beside(path, project, timeline)
        if replaced and not self.confirm_replace(replaced):
            return False
        saved = self.session.save(path, project, timeline)
        for problem in saved.problems:
            self.show_error(problem)
        if saved.path is None:
            return False
        self.undo_stack.setClean()
        self.settings_dirty = False
        self._refresh_recent()
        self._update_title()
        return True

    def recent_files(self) -> list[str]:
        return self.session.recent_files()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            self._action(self.recent_menu, path, lambda _=False, p=path: self.open_file(p))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    # weights ------------------------------------------------------------------------
    def trained_network(self) -> engine.Network | None:
        """The trained network, when it still matches the network being edited."""
        model = None if self._watch is None else self._watch.model  # none before the page
        if model is None or model.architecture != self.document.analysis.to_architecture():
            return None
        return model

    def trained_weights(self) -> dict[str, np.ndarray] | None:
        network = self.trained_network()
        return None if network is None else {k: v.copy() for k, v in
                                             network.state_dict().items()}

    def use_kernel(self, layer: int, f: int, kernel: np.ndarray, frozen: bool) -> None:
        """Make filter `f` of conv `layer` start as `kernel` (every input channel), with a
        zero bias, and keep it fixed while training when `frozen`."""
        if self.training.running:
            self.statusBar().showMessage("Stop training first, then put the kernel in.")
            return
        model = self.trained_network()
        if model is None:  # not trained yet: the starting weights a run would draw
            model = engine.Network(self.document.architecture)
            self.watch.model = model
        self.push(PutKernel(model, layer, f, kernel, frozen, self.training.starting_filters,
                            lambda: self.training_panel.settings["frozen_filters"],
                            self.training_panel.set_frozen_filters))
        self.training.stopped_run = None  # the weights are no longer that run's
        self.statusBar().showMessage(
            f"Filter {f} of layer {layer} now starts as your kernel"
            + (" and stays fixed while training" if frozen else "")
            + ". Train, then compare it with the filters training finds.")

    def offer_suggestion(self, health: engine.LayerHealth) -> None:
        """The badge's sentence, and a button that tries its suggestion in a new run."""
        box = QMessageBox(QMessageBox.Icon.Information, f"Layer {health.layer} ({health.kind})",
                          health.message, QMessageBox.StandardButton.Close, self)
        box.setObjectName("layerHealth")
        box.setInformativeText(
            f"‖ΔW‖/‖W‖ per step {health.update_ratio:.1e}, ‖dL/dW‖/‖W‖ "
            f"{health.gradient_ratio:.1e}"
            + (f", {health.dead_fraction:.0%} dead units" if health.dead_fraction is not None
               else ""))
        if health.suggestion is not None:
            try_it = box.addButton(f"Try it: {health.suggestion.text}",
                                   QMessageBox.ButtonRole.AcceptRole)
            try_it.clicked.connect(lambda: self.try_suggestion(health.suggestion))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def try_suggestion(self, suggestion: engine.Suggestion) -> None:
        """Apply the change (undoable) and train from scratch with it; the Runs tab then
        overlays the run it came from and the new one."""
        if self.training.running:  # stop this run first; the new one starts when it has
            self._after_run = lambda: self.try_suggestion(suggestion)
            self.training.stop()
            return
        if suggestion.leaky_relu_at is not None:
            layer = {"type": "leaky_relu", "slope": 0.01}
            self.push(EditLayer(self.document, suggestion.leaky_relu_at, layer, "type"))
        if suggestion.learning_rate_factor != 1.0:
            config = training_config(self.training_panel.settings)
            self.training_panel.lr.setValue(config.learning_rate
                                            * suggestion.learning_rate_factor)
        before = self.recorder.runs[-1].number if self.recorder.runs else None

        def overlay() -> None:
            self.statusBar().showMessage(f"Trying it: {suggestion.text}.")
            if before is not None:
                self.watch.runs.select_numbers([before, self.recorder.runs[-1].number])
                self.watch.tabs.setCurrentWidget(self.watch.runs)

        self._launch(None, continuing=False, then=overlay)

    def export_dialog(self) -> None:
        """Ask where to export, starting in the folder of the last export."""
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export", str(start_folder("exports") / "model.onnx"), EXPORT_FILTERS)
        if path:  # a name typed without an ending takes the chosen filter's
            remember_folder("exports", path)
            ending = chosen[chosen.rfind("*") + 1:-1] if "*" in chosen else ""
            self.export_to(Path(path) if Path(path).suffix else Path(path + ending))

    def export_to(self, path: Path) -> bool:
        """Write the format the name's ending says; say what was written."""
        path = Path(path)
        network = self.trained_network()
        try:
            replaced = [file for file in export_files(path)[1:] if file.exists()]
            if replaced and not self.confirm_replace(replaced):
                return False
            summary = export_model(path, self.document.architecture if network is None else network)
        except (FileFormatError, OSError) as error:
            self.show_error(str(error))
            return False
        self.statusBar().showMessage(f"Exported {path.name}: {summary}.")
        self.export_done(path, summary)
        return True

    def export_done(self, path: Path, summary: str) -> None:
        QMessageBox.information(self, "Exported", f"{path}\n\n{summary}")

    # training -----------------------------------------------------------------------
    def _set_training(self, training: bool) -> None:
        self.train_button.setEnabled(not training and self.document.analysis.ok)
        can_continue = (not training and self.document.analysis.ok
                        and self.trained_network() is not None)
        self.continue_button.setEnabled(can_continue)
        self.continue_action.setEnabled(can_continue)
        self.continue_button.setToolTip(
            "Carry on training the current weights (Ctrl+F5): a stopped run exactly where it "
            "stopped" if can_continue else "Nothing to continue yet: train first")
        self.pause_button.setEnabled(training)
        self.step_button.setEnabled(training and self.training.paused)
        self.stop_button.setEnabled(training)
        for widget in (self.palette, self.inspector, self.training_panel):
            widget.setEnabled(not training)

    def _show_last_result(self) -> None:
        """The bar at rest says how the last run ended (idle when there is none)."""
        last = self.recorder.runs[-1] if self.recorder.runs else None
        if last is None or last.test_accuracy is None:
            self._reset_progress()
        else:
            self._reset_progress(f"run {last.number} {last.status}: test accuracy "
                                 f"{100 * last.test_accuracy:.2f} %")

    def _reset_progress(self, text: str = "idle") -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(text)

    def _show_dataset_images(self) -> None:
        """The Training tab's image count: of the dataset loaded for these settings and this
        network's input, else none yet."""
        loaded = self._dataset
        self.training_panel.show_images(
            loaded[1] if loaded is not None and loaded[0] == self._dataset_source() else None)

    def _dataset_source(self) -> tuple[str, str, tuple[int, ...] | None]:
        """(kind, folder, the network's input shape): images in a folder are converted to
        the input, so the same folder gives another dataset for another input."""
        settings = self.training_panel.settings
        return settings["dataset"], settings["folder"], self.document.analysis.input_shape

    def _loader(self):
        """A function for the worker thread; the last dataset is reused when unchanged."""
        source = self._dataset_source()
        cached = self._dataset

        def load(progress, cancelled) -> Dataset:
            if cached is not None and cached[0] == source:
                return cached[1]
            kind, folder, shape = source
            return training_data(shape, kind, folder, progress=progress, cancelled=cancelled)

        return load

    def start_training(self, config=None) -> None:
        """A new run, from weights drawn afresh from the run's seed (and any hand-made
        starting filters): every Train is a fair comparison with the last."""
        self._launch(config, continuing=False)

    def continue_training(self, config=None) -> None:
        """Carry on from the current weights: a stopped run with unchanged settings exactly
        where it stopped, otherwise a new run that records which run it continues."""
        self._launch(config, continuing=True)

    def _launch(self, config, continuing: bool, then: Callable[[], None] | None = None
                ) -> None:
        """Start a run; once it is under way the window shows it (and calls `then`)."""
        if self.training.running or not self.document.analysis.ok:
            return
        config = config or training_config(self.training_panel.settings)
        start = run_start(continuing, self.document.architecture, config,
                          self.trained_weights() if continuing else None,
                          self.training.stopped_run)
        if start is None:
            self.statusBar().showMessage("Nothing to continue yet: Train starts a new run.")
            return
        self._last_epoch = ""
        self._compiling = False
        self.pages.setCurrentWidget(self.watch)
        architecture, settings = self.document.architecture, settings_of(
            config, self.training_panel.settings)

        self.statusBar().showMessage(start.message)

        def begin() -> None:
            if not continuing:
                self.watch.start_run()
            elif start.resume is None:  # a new run that carries the curves on
                self.watch.continue_run()
            self.recorder.begin(architecture, settings, resuming=start.resume is not None,
                                continuing=continuing)
            self.watch.runs.set_runs(self.recorder.runs)
            if then is not None:
                then()

        # the last run stays on screen until this one is under way: a dataset that cannot
        # be loaded (no network for a download, say) must not wipe what the learner saw
        self._begin_run = begin
        self.training.start(self.document.architecture, self._loader(), config, start.initial,
                            start.resume, self.session.checkpoint_path(),
                            self.warmup.fast_kernels_for(self.document.architecture))
        self._reset_progress("loading the dataset…")
        self.pause_button.setText("Pause")
        self._set_training(True)

    def toggle_pause(self) -> None:
        if not self.training.running:
            return
        self.training.toggle_pause()
        self.pause_button.setText("Resume" if self.training.paused else "Pause")
        self.step_button.setEnabled(self.training.paused)
        if self.training.paused:
            self.progress.setFormat(f"paused — {self.progress.format()}")

    def step_training(self) -> None:
        """While paused: one batch, shown in every panel, then paused again."""
        if self.training.running and self.training.paused:
            self.training.step()

    def stop_training(self) -> None:
        self.training.stop()

    def _on_dataset_ready(self, dataset: Dataset) -> None:
        self._dataset = (self._dataset_source(), dataset)
        self.watch.set_dataset(dataset)
        self._show_dataset_images()
        self.statusBar().showMessage(dataset.note or dataset.describe())

    def _preload_dataset(self) -> None:
        """The opened project's dataset, when it is on this machine (never a download)."""
        kind = self.training_panel.settings["dataset"]
        if kind == "folder" or kind == "synthetic" or is_cached(kind):
            self.preload.start(self._dataset_source(), self._loader())

    def _on_preloaded(self, source: tuple, dataset: Dataset) -> None:
        if self._dataset is None:
            self._dataset = (source, dataset)
            self._show_dataset_images()
        if source == self._dataset_source() and self.watch.dataset is None:
            self.watch.set_dataset(dataset)

    def _on_download(self, name: str, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"downloading {name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"
                                " (Stop cancels)")

    def _on_progress(self, event, history) -> None:
        self.watch.add_history(event, history)
        self.recorder.add_history(history)
        self.progress.setRange(0, event.total_steps)
        self.progress.setValue(event.step)
        if event.compiling != self._compiling:
            self._compiling = event.compiling
            self.statusBar().showMessage(COMPILING if event.compiling else
                                         "The fast kernels are ready: training at full speed.",
                                         0 if event.compiling else 8000)
        pace = self.training.pace
        # short enough for the bar at 1024×700; the speed and the last epoch's score in its
        # tooltip (and the status bar)
        self.progress.setFormat(
            f"{'paused — ' if self.training.paused else ''}"
            f"epoch {self.watch.epoch_number(event.epoch)} · "
            f"batch {event.batch + 1}/{event.batches} · loss {event.loss:.3f} · "
            + ("kernels compiling" if event.compiling
               else f"{event.seconds_left:.0f} s left" if pace is None else speed_text(pace)))
        self.progress.setToolTip(f"{event.images_per_second:,.0f} images a second"
                                 + (f"\nlast finished epoch: {self._last_epoch}"
                                    if self._last_epoch else "")  # not the one under way
                                 + (f"\n{COMPILING}" if event.compiling else ""))

    def _on_epoch(self, event) -> None:
        self.watch.add_epoch(event)
        self.recorder.add_epoch(event)
        self.watch.runs.follow(self.recorder.runs)
        if self.training.network is not None:
            self.watch.set_model(self.training.network)
        if event.test is not None:
            self._last_epoch = (f"Epoch {self.watch.epoch_number(event.epoch)}: test accuracy "
                                f"{100 * event.test.accuracy:.2f} %")
            self.statusBar().showMessage(self._last_epoch)
            self.progress.setFormat(self._last_epoch)

    def _on_run_began(self) -> None:
        begin, self._begin_run = self._begin_run, None
        if begin is not None:
            begin()

    def _on_training_end(self, message: str) -> None:
        began = self._begin_run is None  # else it ended while loading (a cancelled download)
        self._begin_run = None
        network = self.training.network if began else None
        if began:
            self.recorder.end("stopped" if self.training.stopped_run is not None
                              else "finished", None if network is None else
                              {k: v.copy() for k, v in network.state_dict().items()})
            self.watch.runs.set_runs(self.recorder.runs)
        if network is not None:
            self.watch.set_model(network)  # before the buttons: Continue needs these weights
            self.settings_dirty = True  # new weights: the project offers to save them
            self._update_title()
        self._set_training(False)
        if self._after_run is not None:  # "Try it" stopped this run to start its own
            after, self._after_run = self._after_run, None
            after()
            return
        text = f"{message} {self._last_epoch}" if began else message
        self._reset_progress(text)
        self.statusBar().showMessage(text)

    def _on_training_failed(self, message: str) -> None:
        self._set_training(False)
        if self._begin_run is None:  # it began: the Runs tab records how it ended
            self.recorder.end("failed", None)
            self.watch.runs.set_runs(self.recorder.runs)
            self._reset_progress()
        else:
            self.statusBar().showMessage("The run did not start; the last one is still shown."
                                         if self.recorder.runs else "The run did not start.")
            self._show_last_result()
        self._begin_run = self._after_run = None  # a suggestion queued behind it goes too
        self.show_error(message)

    def closeEvent(self, event) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        self.training.shutdown()
        self.session.close()
        self.settings.setValue("geometry", self.saveGeometry())
        super().closeEvent(event)


def ask_save_discard_or_cancel(parent: QWidget) -> str:
    """"save", "discard" or "cancel": what a desktop program asks before unsaved work goes."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(parent, "Save changes?",
                                  "The project has unsaved changes. Save them first?",
                                  buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")


def _application(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("CNN Studio")  # QSettings() is keyed by these
    app.setOrganizationName("CNN Studio")
    app.setDesktopFileName("cnn-studio")  # the entry `python -m studio desktop-entry` installs
    icon = QPixmap()
    icon.loadFromData(resource_files().joinpath("icons").joinpath("cnn-studio.svg").read_bytes())
    app.setWindowIcon(QIcon(icon))
    if not hasattr(app, "garbage_collector"):  # before any thread of ours starts
        app.garbage_collector = GuiThreadCollector(parent=app)
    return app  # type: ignore[return-value]


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cnn-studio")
    parser.add_argument("file", nargs="?")
    parser.add_argument("--data")
    return parser.parse_args(argv)


def create_main_window(argv: list[str] | None = None) -> MainWindow:
    """`argv` are the command-line arguments after the program: `[FILE] [--data DIR]`."""
    args = _arguments(list(argv or []))
    _application([sys.argv[0]])
    return MainWindow(args.file, args.data)


def run_app(file: str | None = None, data: str | None = None) -> int:
    app = _application([sys.argv[0]])
    window = MainWindow(file, data)
    window.show()
    return app.exec()
