"""The "Train & watch" page: the network beside live curves, filters, feature maps and gradients.

Snapshots arrive from the training thread at a bounded rate; the page keeps
only the latest and draws it on a 100 ms timer, so a slow frame never queues
work. The drawing pad and a picked test image run the trained network on the
GUI thread: a copy of its weights, one image at a time (well under a millisecond).
Every view of one image says which image it is and which class its gradients
are taken for: a test image's true label, or for a drawing the class the
learner picks (the predicted one unless they pick another).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from studio.data import Dataset, synthetic_digits
from studio.engine import (
    BatchEnd,
    EpochEnd,
    Evaluation,
    Network,
    Snapshot,
    as_input,
    explain,
    look_inside,
)
from studio.io import Run

from .canvas import NetworkCanvas, describe
from .curves_panel import AccuracyPanel, LossPanel
from .document import NetworkDocument
from .drawing_pad import DrawingPad
from .evaluation_panel import EvaluationPanel
from .feature_maps_panel import FeatureMapsPanel
from .filters_panel import FiltersPanel
from .gradients_panel import GradientsPanel
from .kernel_playground import KernelPlayground
from .math_inspector import MathInspector
from .network_view import NetworkView
from .runs_panel import RunsPanel
from .timeline import SnapshotStore, TimelineBar

REDRAW_MS = 100


def lineage(runs: list[Run]) -> list[Run]:
    """The last of `runs` after the runs it continues, the first of them first."""
    by_number = {run.number: run for run in runs}
    chain = runs[-1:]
    while chain and chain[0].continued_from in by_number and len(chain) <= len(runs):
        chain.insert(0, by_number[chain[0].continued_from])
    return chain


class WatchPage(QSplitter):
    def __init__(self, document: NetworkDocument,
                 fast_ready: Callable[[dict], bool] = lambda architecture: True, parent=None):
        """`fast_ready(architecture)`: whether that network's fast kernels are compiled."""
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("watchPage")
        self.document = document
        self.fast_ready = fast_ready
        self._build_panels()
        self._build_layout()
        self.dataset: Dataset | None = None
        #: batches and epochs drawn before the run on show began: a continued run's count on
        self.steps_before = self.epochs_before = 0
        self.model: Network | None = None  # the GUI thread's copy of the trained network
        self._latest: Snapshot | None = None
        self._drawn: Snapshot | None = None
        self._evaluation: Evaluation | None = None  # the latest, not yet drawn
        self._explainer: Network | None = None  # the GUI thread's network for explanations
        self._drawing: np.ndarray | None = None  # the last drawing, (1, H, W)
        self._own: tuple[Snapshot, str] | None = None  # a snapshot made here, and its source
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self._connect()
        self._on_document_change()
        self.timer.start()

    def _build_panels(self) -> None:
        """Every view of the page, and the timeline with its store of snapshots."""
        self.canvas = NetworkCanvas(self.document, editable=False)  # edited on the Build page
        self.canvas.setObjectName("watchCanvas")
        self.loss = LossPanel()
        self.accuracy = AccuracyPanel()
        self.filters = FiltersPanel()
        self.feature_maps = FeatureMapsPanel()
        self.math = MathInspector()
        self.gradients = GradientsPanel()
        self.evaluation = EvaluationPanel()
        self.network_view = NetworkView()
        self.drawing = DrawingPad()
        self.playground = KernelPlayground()
        self.runs = RunsPanel()
        self.store = SnapshotStore()
        self.timeline = TimelineBar(self.store)

    def _build_layout(self) -> None:
        """The canvas | the curves above the timeline and the tabs of views; no part can be
        squeezed to nothing."""
        curves = QSplitter(Qt.Orientation.Horizontal)
        curves.addWidget(self.loss)
        curves.addWidget(self.accuracy)
        self.feature_maps_page = QSplitter(Qt.Orientation.Horizontal)
        self.feature_maps_page.addWidget(self.feature_maps)
        self.feature_maps_page.addWidget(self.math)
        self.feature_maps_page.setSizes([560, 420])
        self.tabs = QTabWidget()
        for panel, title in ((self.filters, "Filters"),
                             (self.feature_maps_page, "Feature maps"),
                             (self.gradients, "Gradients"), (self.evaluation, "Mistakes"),
                             (self.network_view, "Whole network"),
                             (self.drawing, "Draw a digit"),
                             (self.playground, "Kernel playground"), (self.runs, "Runs")):
            self.tabs.addTab(panel, title)
        replay = QWidget()
        replay_layout = QVBoxLayout(replay)
        replay_layout.setContentsMargins(0, 0, 0, 0)
        replay_layout.addWidget(self.timeline)
        replay_layout.addWidget(self.tabs, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(curves)
        right.addWidget(replay)
        right.setSizes([260, 420])
        self.addWidget(self.canvas)
        self.addWidget(right)
        self.setSizes([300, 980])
        for splitter in (self, right, curves, self.feature_maps_page):
            splitter.setChildrenCollapsible(False)

    def _connect(self) -> None:
        self.timer.timeout.connect(self._draw_latest)
        self.document.selection_changed.connect(self._on_selection_change)
        self.document.changed.connect(self._on_document_change)
        self.tabs.currentChanged.connect(self._redraw)
        self.tabs.currentChanged.connect(self._on_tab_change)
        self.drawing.sketch.drawn.connect(self._on_drawing)
        self.drawing.target_changed.connect(self._on_target_change)
        self.feature_maps.sample_changed.connect(self._on_sample_change)
        self.feature_maps.drawing_requested.connect(self._on_target_change)
        self.feature_maps.pixel_clicked.connect(self._explain)
        self.network_view.pixel_clicked.connect(self.open_maths)
        self.evaluation.mistake_chosen.connect(self.open_mistake)
        self.timeline.moved.connect(self._on_timeline_move)

    # a new run ----------------------------------------------------------------------
    def start_run(self, total_steps: int = 1) -> None:
        """Empty curves, timeline and panels for a run from fresh weights."""
        self.loss.reset(total_steps)
        self.accuracy.reset()
        self.gradients.reset()
        self.steps_before = self.epochs_before = 0
        self._latest = self._drawn = self._evaluation = None
        self.store.replace([])
        self.timeline.go_live()
        analysis = self.document.analysis
        names = [f"{i.index} {describe(i)}" for i in analysis.layers]
        self.feature_maps.set_layers(names)
        self.network_view.set_layers(names)

    def continue_run(self) -> None:
        """A new run from the weights on show: its batches, epochs and snapshots are drawn
        after those already shown, as one longer run, instead of from zero again."""
        self.steps_before = self.loss.last_step()
        self.epochs_before = self.accuracy.epochs_shown()

    def epoch_number(self, epoch: int) -> int:
        """The number the curves give the run's 0-based `epoch` (a continued run's count on)."""
        return self.epochs_before + epoch + 1

    def set_dataset(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.feature_maps.set_test_images(len(dataset.test_images))
        self.playground.set_images(dataset.test_images)
        classes = list(dataset.classes)
        self.feature_maps.classes = self.network_view.classes = classes
        self.drawing.set_classes(classes)

    def _on_document_change(self) -> None:
        self.playground.set_conv_layers([
            (info.index, info.config["kernel"], info.config["filters"], info.input_shape[0])
            for info in self.document.analysis.layers
            if info.type == "conv2d" and info.input_shape])

    def _on_tab_change(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.playground and self.playground.images is None:
            images, _ = synthetic_digits(100, seed=1)  # until a run loads a dataset
            self.playground.set_images(images)

    def set_model(self, network: Network) -> None:
        """Copy the weights of `network` (owned by the training thread) into the GUI's copy."""
        if self.model is None or self.model.architecture != network.architecture:
            self.model = Network(network.architecture)
        self.model.parameters[...] = network.parameters
        for name, buffer in network.state_dict().items():
            self.model.state_dict()[name][...] = buffer

    # live updates -------------------------------------------------------------------
    def add_history(self, event: BatchEnd, history: np.ndarray) -> None:
        self.loss.cover(self.steps_before + event.total_steps)
        self.accuracy.cover(self.epochs_before + event.total_steps // event.batches)
        if self.steps_before:
            history = history.copy()  # the recorder keeps the run's own step numbers
            history[0] += self.steps_before
        self.loss.add(history)

    def add_epoch(self, epoch: EpochEnd) -> None:
        epoch = replace(epoch, epoch=epoch.epoch + self.epochs_before)
        self.accuracy.add(epoch)
        if epoch.test is not None:
            self.store.evaluations[epoch.epoch] = epoch.test
            if self.timeline.following:
                self._evaluation = epoch.test  # drawn by the timer when its tab is shown

    def offer_snapshot(self, snapshot: Snapshot) -> None:
        if self.steps_before or self.epochs_before:
            snapshot = replace(snapshot, step=snapshot.step + self.steps_before,
                               epoch=snapshot.epoch + self.epochs_before)
        self.store.add(snapshot)
        self.timeline.refresh()
        if self.timeline.following:
            self._latest = snapshot  # older, undrawn snapshots are simply dropped

    def load_timeline(self, snapshots: list[Snapshot],
                      evaluations: dict[int, Evaluation]) -> None:
        """A saved run's snapshots and test evaluations: replayable, the last one on show."""
        self.store.replace(snapshots, evaluations)
        self.gradients.reset()
        for snapshot in self.store.snapshots:  # the norms' curves span the saved run
            self.gradients.record_norms(snapshot)
        self.timeline.go_live()

    def show_finished_run(self, runs: list[Run]) -> None:
        """A reopened project's last run as it was left: its loss after every batch and its
        accuracy per epoch, after those of the runs it continued, as Continue drew them (a
        saved timeline brings back the confusion matrix and mistakes)."""
        chain = lineage(runs)
        last = chain[-1]
        self.loss.reset(max(sum(run.steps[-1] for run in chain if run.steps), 1))
        epochs = sum(len(run.epochs) for run in chain)
        self.accuracy.reset(max(epochs - len(last.epochs) + int(last.training.get("epochs", 1)),
                                epochs, 1))
        self.steps_before = self.epochs_before = 0
        for run in chain:
            self.continue_run()
            if run.steps:
                self.loss.add(np.array([np.array(run.steps) + self.steps_before, run.losses,
                                        np.full(len(run.steps), np.nan)]))
            for epoch in run.epochs:
                index, tested = self.epochs_before + int(epoch["epoch"]) - 1, \
                    epoch.get("test_accuracy")
                test = self.store.evaluations.get(index)
                if test is None and tested is not None:  # no timeline: the score alone
                    test = Evaluation(math.nan, tested, np.zeros((0, 0), np.int64), np.zeros(0))
                self.accuracy.epochs.append(
                    EpochEnd(index, epoch["loss"], epoch["train_accuracy"], test, 0.0))
        self.accuracy.redraw.request()

    def _on_timeline_move(self, snapshot: Snapshot | None) -> None:
        """Replay a kept snapshot in every panel, or (None) follow the run again."""
        if snapshot is None and self.store.snapshots:
            snapshot = self.store.snapshots[-1]
        self.loss.mark_step(None if self.timeline.following or snapshot is None
                            else snapshot.step)
        if snapshot is not None:
            self._latest, self._drawn = snapshot, None
            evaluations = self.store.evaluations
            self._evaluation = (self.store.evaluation_before(snapshot)
                                if not self.timeline.following else
                                evaluations[max(evaluations)] if evaluations else None)
            if self._evaluation is None:
                self.evaluation.clear()  # no epoch had finished at that point
            self._draw_latest()

    def _draw_latest(self) -> None:
        if (self._evaluation is not None and self.dataset is not None
                and self.tabs.currentWidget() is self.evaluation):
            self.evaluation.show_evaluation(self._evaluation, self.dataset.test_images,
                                            self.dataset.test_labels, self.dataset.classes)
            self._evaluation = None
        snapshot = self._latest
        if snapshot is None or snapshot is self._drawn or not self.isVisible():
            return
        self._drawn = snapshot
        selected = self.document.selected
        self.gradients.record_norms(snapshot)  # the curve needs every snapshot
        self.canvas.show_health(snapshot.health)
        panel = self.tabs.currentWidget()  # hidden panels cost nothing, and size right later
        if panel is self.filters:
            self.filters.show_snapshot(snapshot, selected)
        elif panel is self.feature_maps_page:
            self.feature_maps.show_snapshot(snapshot, self.source(snapshot))
            if self.feature_maps.chosen is not None:  # follow the chosen pixel as training goes
                self._explain(*self.feature_maps.chosen)
        elif panel is self.network_view:
            self.network_view.show_snapshot(snapshot, self.source(snapshot))
        elif panel is self.gradients:
            self.gradients.show_snapshot(snapshot, selected)

    def _on_selection_change(self, index: int | None) -> None:
        self.feature_maps.select_layer(index)
        self._redraw()

    def _redraw(self) -> None:
        self._drawn = None  # the timer draws the latest snapshot again

    def _class_name(self, label: int) -> str:
        classes = self.dataset.classes if self.dataset is not None else []
        return classes[label] if label < len(classes) else str(label)

    def source(self, snapshot: Snapshot) -> str:
        """Which image `snapshot` shows, and which class its gradients are taken for."""
        if self._own is not None and self._own[0] is snapshot:
            return self._own[1]
        name = self._class_name(snapshot.sample_label)
        return (f"Test image #{self.feature_maps.test_index}, true label {name}: the "
                f"gradients are those of the loss for class {name}.")

    # from one view to another ---------------------------------------------------------
    def open_maths(self, layer: int, position: tuple[int, ...]) -> None:
        """The maths of one value of the image on show, in the Feature maps tab."""
        self.tabs.setCurrentWidget(self.feature_maps_page)
        self._drawn = None
        self._draw_latest()
        self.feature_maps.choose(layer, position)

    def open_mistake(self, index: int, predicted: int) -> None:
        """A misclassified test image in Feature maps, with the maths of the logit that
        won."""
        if self.model is None or self.dataset is None:
            return
        self.tabs.setCurrentWidget(self.feature_maps_page)
        self.feature_maps.choose_test_image(index)
        self.open_maths(len(self.model.layers) - 1, (predicted,))

    # the GUI thread's own passes ------------------------------------------------------
    def _on_gui_thread(self, network: Network) -> Network:
        """`network`, computing on the textbook loops until its fast kernels are compiled
        (same numbers): on a first launch a pixel clicked early compiled them here, on the
        GUI thread, and the window froze for as long."""
        network.use_engine("fast" if self.fast_ready(network.architecture) else "textbook")
        return network

    def _explain(self, layer: int, position: tuple[int, ...]) -> None:
        """Explain a pixel with the weights of the snapshot on show, on that snapshot's image."""
        snapshot = self.feature_maps.snapshot
        if snapshot is None:
            return
        if self._explainer is None or self._explainer.architecture != snapshot.architecture:
            self._explainer = Network(snapshot.architecture)
        self._explainer.load_state_dict(snapshot.weights)
        classes = self.dataset.classes if self.dataset is not None else None
        self.math.show_explanation(explain(self._on_gui_thread(self._explainer),
                                           snapshot.sample_image,
                                           snapshot.sample_label, layer, position, classes),
                                   self.source(snapshot))

    def _inside(self, image: np.ndarray, label: int) -> Snapshot | None:
        if self.model is None:
            return None
        seen = look_inside(self._on_gui_thread(self.model), image, label)
        self.drawing.show_probabilities(seen.probabilities)
        previous = self._latest
        if previous is None:
            return None
        return Snapshot(previous.step, previous.epoch, previous.kernel_gradients,
                        previous.gradient_norms, image, label, seen.feature_maps,
                        seen.input_gradient, self.model.architecture,
                        {k: v.copy() for k, v in self.model.state_dict().items()},
                        previous.health)

    def _on_drawing(self, pixels: np.ndarray) -> None:
        self._drawing = pixels[None].astype(np.float32)
        self._on_target_change()

    def _on_target_change(self) -> None:
        """Look inside the drawing again, with the gradient for the class now chosen."""
        image = self._drawing
        if image is None or self.model is None or self.model.input_shape != image.shape:
            return
        chosen = self.drawing.chosen_target()
        predicted = int(np.argmax(self._on_gui_thread(self.model).forward(image[None],
                                                                         training=False)[0]))
        label = predicted if chosen is None else chosen
        name = self._class_name(label)
        why = (f"the class you picked (it predicts {self._class_name(predicted)})"
               if chosen is not None else "the class it predicts; pick another under "
               "Draw a digit")
        self._show_inside(image, label, f"Your drawing: the gradients are those of the loss "
                                        f"for class {name}, {why}.")
        self.feature_maps.show_drawing()

    def _on_sample_change(self, index: int) -> None:
        if self.dataset is None:
            return
        image = as_input(self.dataset.test_images[index:index + 1])[0]
        self._show_inside(image, int(self.dataset.test_labels[index]))

    def _show_inside(self, image: np.ndarray, label: int, source: str | None = None) -> None:
        """Show `image` with the gradients for `label`; `source` says so (None: a test
        image, described by `self.source`)."""
        snapshot = self._inside(image, label)
        if snapshot is not None:
            self._own = (snapshot, source) if source is not None else None
            self._latest, self._drawn = snapshot, None
            self._draw_latest()
