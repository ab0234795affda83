"""The training settings: dataset, epochs, batch size, optimiser, learning rate, schedule, seed.

The settings are the project's `training` dict; the panel edits it and says
when it changed, and turns it into the engine's `TrainConfig`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from studio import engine
from studio.data import DataError, ImageFolder, is_image_folder, scan_image_folder
from studio.engine import DEFAULT_LEARNING_RATES, OPTIMIZERS, SCHEDULES
from studio.io import TRAINING_DEFAULTS

from .dialog_folders import remember_folder, start_folder
from .plot_theme import apply_plot_theme

if TYPE_CHECKING:
    from studio.data import Dataset

    from .image_folder_preview import ImageFolderPreview

DATASETS = {
    "synthetic": "Synthetic digits (offline, not MNIST)",
    "mnist": "MNIST (downloaded once, then cached)",
    "fashion-mnist": "Fashion-MNIST (downloaded once, then cached)",
    "cifar10": "CIFAR-10 colour photos, 32×32 (downloaded once, then cached)",
    "folder": "A folder: MNIST IDX files, or your images in class sub-folders…",
}


NOT_LOADED = "counted once the dataset is loaded (when training starts)"

#: Seconds between live snapshots: lively enough to watch, cheap enough (see bench --gui).
SNAPSHOT_INTERVAL = 0.5
#: Snapshots spread over every run by step as well, so that even a run of a few seconds
#: leaves a timeline worth scrubbing (at least this many positions; fewer than twice as
#: many, 199 of LeNet-5's at 316 KB each being 61 MB, inside the timeline's 64 MB). Each
#: costs a little training time, so no more than that (docs/performance.md, 'Cost of the
#: live panels').
SNAPSHOT_STEPS = 100


def training_config(settings: dict[str, Any],
                    snapshot_interval: float = SNAPSHOT_INTERVAL) -> engine.TrainConfig:
    return engine.TrainConfig(epochs=settings["epochs"], batch_size=settings["batch_size"],
                       optimizer=settings["optimizer"], lr=settings["lr"],
                       schedule=settings["schedule"], weight_decay=settings["weight_decay"],
                       seed=settings["seed"], engine=settings.get("engine", "fast"),
                       snapshot_interval=snapshot_interval,
                       snapshot_steps=SNAPSHOT_STEPS if snapshot_interval > 0 else 0,
                       frozen_filters=settings.get("frozen_filters", ()))


def settings_of(config: engine.TrainConfig, base: dict[str, Any]) -> dict[str, Any]:
    """`base` (dataset, folder…) with the settings `config` actually trains with."""
    return {**base, "epochs": config.epochs, "batch_size": config.batch_size,
            "optimizer": config.optimizer, "lr": config.lr, "schedule": config.schedule,
            "weight_decay": config.weight_decay, "seed": config.seed, "engine": config.engine,
            "frozen_filters": [list(pair) for pair in config.frozen_filters]}


class TrainingPanel(QWidget):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.settings: dict[str, Any] = dict(TRAINING_DEFAULTS)
        self.input_shape: tuple[int, int, int] = (1, 28, 28)  # the network's, for image folders
        self.preview: ImageFolderPreview | None = None
        # the chosen folder's scan (None: not a folder of images), read once per folder
        self._scan: tuple[str, ImageFolder | DataError | None] = ("", None)
        self._build_editors()
        self._build_form()
        self.set_settings(self.settings)
        self._connect()

    def _build_editors(self) -> None:
        """One editor per setting, each with the range and the hint a beginner needs."""
        self.dataset = QComboBox()
        for key, text in DATASETS.items():
            self.dataset.addItem(text, key)
        self.folder = QLabel()
        self.folder.setWordWrap(True)
        self.images = QLabel(NOT_LOADED)  # how many images a run of this dataset sees
        self.images.setObjectName("datasetImages")
        self.images.setWordWrap(True)
        self.choose_folder = QPushButton("Choose…")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 4096)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(4)
        self.lr.setRange(0.0001, 10.0)
        self.lr.setSingleStep(0.005)
        self.lr.setToolTip("The peak learning rate. SGD works well near 0.05, Adam near 0.002.")
        self.schedule = QComboBox()
        self.schedule.addItems(list(SCHEDULES))
        self.schedule.setToolTip("onecycle: warm up, then anneal — the best default for short "
                                 "runs. constant: the same rate throughout.")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.engine = QComboBox()
        self.engine.setObjectName("engineChoice")
        self.engine.addItem("Fast engine", "fast")
        self.engine.addItem("Textbook engine (the paper's loops: slow, same numbers)", "textbook")
        self.engine.setToolTip("The textbook engine runs every conv, pool and dense layer on "
                               "studio/engine/conv/reference.py's plain loops, one multiply-add at "
                               "a time: about 100× slower than the fast engine, and the same "
                               "numbers.")
        self.frozen = QLabel()
        self.frozen.setObjectName("frozenFilters")
        self.frozen.setWordWrap(True)
        self.release = QPushButton("Let them learn")
        self.release.setToolTip("Train every filter again, starting from the hand-made ones.")
        for long_texts in (self.dataset, self.engine):  # the canvas beside needs the width
            long_texts.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            long_texts.setMinimumContentsLength(22)

    def _build_form(self) -> None:
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose_folder)
        frozen_row = QHBoxLayout()
        frozen_row.addWidget(self.frozen, 1)
        frozen_row.addWidget(self.release)
        form = QFormLayout(self)
        for label, field in (("dataset", self.dataset), ("folder", folder_row),
                             ("images", self.images),
                             ("epochs", self.epochs), ("batch size", self.batch_size),
                             ("optimiser", self.optimizer), ("learning rate", self.lr),
                             ("schedule", self.schedule), ("seed", self.seed),
                             ("engine", self.engine), ("fixed filters", frozen_row)):
            form.addRow(label, field)

    def _connect(self) -> None:
        """Every editor writes its setting (and says so); the optimiser and dataset do more."""
        self.release.clicked.connect(lambda: self.set_frozen_filters([]))
        self.dataset.currentIndexChanged.connect(self._on_dataset_change)
        self.choose_folder.clicked.connect(self._choose_folder)
        self.epochs.valueChanged.connect(lambda v: self._change("epochs", v))
        self.batch_size.valueChanged.connect(lambda v: self._change("batch_size", v))
        self.optimizer.currentTextChanged.connect(self._on_optimizer_change)
        self.lr.valueChanged.connect(lambda v: self._change("lr", v))
        self.schedule.currentTextChanged.connect(lambda v: self._change("schedule", v))
        self.seed.valueChanged.connect(lambda v: self._change("seed", v))
        self.engine.currentIndexChanged.connect(
            lambda _: self._change("engine", self.engine.currentData()))

    def set_settings(self, settings: dict[str, Any]) -> None:
        """Show `settings` without announcing a change."""
        self.settings = {**TRAINING_DEFAULTS, **settings}
        s = self.settings
        widgets = (self.dataset, self.epochs, self.batch_size, self.optimizer, self.lr,
                   self.schedule, self.seed, self.engine)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.dataset.setCurrentIndex(max(0, self.dataset.findData(s["dataset"])))
        self.epochs.setValue(s["epochs"])
        self.batch_size.setValue(s["batch_size"])
        self.optimizer.setCurrentText(s["optimizer"])
        self.lr.setValue(s["lr"] if s["lr"] is not None else DEFAULT_LEARNING_RATES[s["optimizer"]])
        self.schedule.setCurrentText(s["schedule"])
        self.seed.setValue(s["seed"])
        self.engine.setCurrentIndex(max(0, self.engine.findData(s["engine"])))
        del blockers
        self._show_folder()
        self._show_frozen()

    def set_frozen_filters(self, pairs: list[list[int]]) -> None:
        """Which [conv layer, filter] pairs keep their hand-made values while training."""
        self._change("frozen_filters", [list(pair) for pair in pairs])
        self._show_frozen()

    def _show_frozen(self) -> None:
        pairs = self.settings["frozen_filters"]
        self.frozen.setText(", ".join(f"layer {layer} filter {f}" for layer, f in pairs)
                            or "none (every filter learns)")
        self.release.setVisible(bool(pairs))

    def _change(self, key: str, value: Any) -> None:
        if self.settings.get(key) != value:
            self.settings[key] = value
            self.changed.emit()

    def _on_optimizer_change(self, name: str) -> None:
        self._change("optimizer", name)
        self.lr.setValue(DEFAULT_LEARNING_RATES[name])  # each optimiser has its own scale

    def show_images(self, dataset: Dataset | None) -> None:
        """What the loaded dataset holds (None: none is loaded for these settings): a folder
        may have fewer than the 60,000 MNIST training images a tutorial's figures come from."""
        if dataset is None:
            self.images.setText(NOT_LOADED)
            return
        c, h, w = dataset.image_shape
        self.images.setText(f"{len(dataset.train_images):,} training and "
                            f"{len(dataset.test_images):,} test images, {c}×{h}×{w}, "
                            f"{len(dataset.classes)} classes")

    def _on_dataset_change(self) -> None:
        key = self.dataset.currentData()
        if key == "folder" and not self.settings["folder"]:
            self._choose_folder()
        self._change("dataset", key)
        self._show_folder()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder with the four MNIST IDX files, or one sub-folder of images per class",
            str(start_folder("datasets")))
        if folder:
            remember_folder("datasets", Path(folder).parent)
            self.use_folder(folder)

    def use_folder(self, folder: str) -> None:
        """Train on `folder`; a folder of images is previewed first (classes, counts, samples)."""
        self._scan = ("", None)  # chosen again: read it again, it may have new images
        self._change("folder", folder)
        self._change("dataset", "folder")
        with QSignalBlocker(self.dataset):
            self.dataset.setCurrentIndex(self.dataset.findData("folder"))
        self._show_folder()
        scanned = self.image_folder()
        if isinstance(scanned, ImageFolder):
            from .image_folder_preview import ImageFolderPreview  # pyqtgraph: when needed

            apply_plot_theme()
            self.preview = ImageFolderPreview(scanned, self.input_shape, self)
            self.preview.open()

    def image_folder(self) -> ImageFolder | DataError | None:
        """The chosen folder as a folder of images, the reason it cannot be one, or None
        when it is not a folder of images (no folder, or IDX files)."""
        folder = self.settings["folder"]
        if self._scan[0] != folder:
            found: ImageFolder | DataError | None = None
            if folder and is_image_folder(folder):
                try:
                    found = scan_image_folder(folder)
                except DataError as error:
                    found = error
            self._scan = (folder, found)
        return self._scan[1]

    def _show_folder(self) -> None:
        uses_folder = self.settings["dataset"] == "folder"
        folder = self.settings["folder"]
        scanned = self.image_folder()
        text = folder or "none chosen"
        if isinstance(scanned, ImageFolder):
            text = f"{folder}\n{scanned.describe()}"
        elif scanned is not None:
            text = f"{folder}\n⚠ {scanned}"
        self.folder.setText(text)
        self.folder.setEnabled(uses_folder)
