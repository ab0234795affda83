"""Regenerate docs/screenshots/*.png from the real window.

Run under a real X server (not offscreen) so fonts and styles are the user's:

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1920x1080x24" \
        .venv/bin/python docs/make_screenshots.py [WIDTHxHEIGHT ...]

Each size given (default 1280x800, the README's) gets its own set: the
README's names at 1280x800, `NAME-WIDTHxHEIGHT.png` at any other size. It
trains on the synthetic digits (offline) in a throwaway data folder.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent / "screenshots"
README_SIZE = (1280, 800)
SUFFIX = ""  # "-WIDTHxHEIGHT" for a size other than the README's


def settle(app, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def shoot(widget, name: str) -> None:
    widget.grab().save(str(HERE / f"{name}{SUFFIX}.png"))
    print("wrote", name + SUFFIX)


def colour_folder(root: Path) -> Path:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, rgb in {"red": (220, 30, 30), "green": (30, 200, 40),
                      "blue": (40, 50, 230)}.items():
        (root / name).mkdir(parents=True)
        for i in range(12):
            pixels = np.clip(np.array(rgb) + rng.normal(0, 25, (24, 24, 3)), 0, 255)
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.png")
    return root


def main() -> None:
    global SUFFIX
    sizes = [tuple(map(int, arg.split("x"))) for arg in sys.argv[1:]] or [README_SIZE]
    for size in sizes:
        SUFFIX = "" if size == README_SIZE else f"-{size[0]}x{size[1]}"
        shoot_all(size)


def shoot_all(size: tuple[int, int]) -> None:
    scratch = Path(tempfile.mkdtemp())
    os.environ["XDG_DATA_HOME"] = str(scratch / "data")  # no autosave left behind
    from PySide6.QtWidgets import QApplication

    from studio.app import create_main_window
    from studio.engine import TrainConfig

    window = create_main_window([])
    window.confirm_discard = lambda: True  # never wait on a "discard changes?" question
    window.resize(*size)
    window.show()
    app = QApplication.instance()
    watch = window.watch

    def train(**config) -> None:
        window.start_training(TrainConfig(**{"snapshot_interval": 0.2, **config}))
        while window.training.running:
            app.processEvents()
        settle(app)

    window.load_preset("lenet5")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    settle(app)
    shoot(window, "builder-lenet5")
    train(epochs=3)
    for tab, name in ((watch.filters, "training-filters"),
                      (watch.feature_maps_page, "training-feature-maps"),
                      (watch.network_view, "training-whole-network"),
                      (watch.gradients, "training-gradients")):
        watch.tabs.setCurrentWidget(tab)
        settle(app)
        shoot(window, name)
    watch.tabs.setCurrentWidget(watch.feature_maps_page)
    watch.feature_maps.choose(0, (2, 12, 14))
    settle(app)
    shoot(window, "math-inspector")
    watch.timeline.show_index(len(watch.store.snapshots) // 3)
    watch.tabs.setCurrentWidget(watch.filters)
    settle(app)
    shoot(window, "timeline-replay")
    watch.timeline.go_live()
    middle = watch.store.snapshots[len(watch.store.snapshots) // 4]  # while still learning
    watch.canvas.show_health(middle.health)
    window.offer_suggestion(max(middle.health, key=lambda h: (h.level != "good",
                                                               h.dead_fraction or 0)))
    settle(app)
    app.primaryScreen().grabWindow(0, 0, 0, *size).save(
        str(HERE / f"layer-health{SUFFIX}.png"))  # with the popup
    for widget in app.topLevelWidgets():
        if widget.objectName() == "layerHealth":
            widget.close()
    watch.model = None
    train(epochs=3, lr=0.01)  # the same network with a fifth of the learning rate
    watch.tabs.setCurrentWidget(watch.evaluation)  # the slower run makes a few mistakes
    settle(app)
    shoot(window, "training-mistakes")
    if watch.evaluation.wrong:
        watch.open_mistake(*watch.evaluation.wrong[0])
        settle(app)
        shoot(window, "mistake-opened")
    watch.tabs.setCurrentWidget(watch.runs)
    watch.runs.select_numbers([1, 2])
    settle(app)
    shoot(window, "runs-compare")
    watch.tabs.setCurrentWidget(watch.playground)
    watch.playground.preset.setCurrentText("Sobel x (vertical edges)")
    watch.playground.stride.setValue(2)
    watch.playground.padding.setCurrentText("1")
    settle(app)
    shoot(window, "kernel-playground")

    arch = scratch / "rgb.json"
    arch.write_text(json.dumps({
        "format": "cnn-studio.architecture", "version": 1, "name": "colours",
        "input": {"channels": 3, "height": 16, "width": 16},
        "layers": [{"type": "conv2d", "filters": 8, "kernel": 3, "padding": "same"},
                   {"type": "relu"}, {"type": "maxpool2d", "size": 2}, {"type": "flatten"},
                   {"type": "dense", "units": 3}]}))
    window.open_file(arch)
    window.training_panel.use_folder(str(colour_folder(scratch / "colours")))
    settle(app)
    shoot(window.training_panel.preview, "own-images-preview")
    window.training_panel.preview.accept()
    train(epochs=8, batch_size=8)
    watch.tabs.setCurrentWidget(watch.filters)
    settle(app)
    shoot(window, "own-images-filters")

    window.load_preset("lenet5")
    layers = window.document.architecture["layers"]
    layers[3]["kernel"] = 13
    window.document.set_architecture({**window.document.architecture, "layers": layers})
    window.pages.setCurrentIndex(0)
    settle(app)
    shoot(window, "builder-invalid")
    window.undo_stack.setClean()
    window.settings_dirty = False
    window.close()


if __name__ == "__main__":
    sys.exit(main())
