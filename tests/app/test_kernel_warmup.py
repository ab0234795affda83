"""Kernels compile in the background at start-up: the window stays live and says so."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_the_window_reports_its_kernels_ready(window, qtbot):
    qtbot.waitUntil(window.warmup.ready.is_set, timeout=60000)  # the start message: below
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Ready."
                    or "compiled and cached" in window.statusBar().currentMessage(),
                    timeout=5000)


@pytest.mark.slow
def test_a_first_launch_compiles_in_the_background_without_freezing(installed_app):
    report = installed_app.first_launch  # the installed wheel, launched with an empty cache
    assert Path(report["studio"]).is_relative_to(installed_app.python.parents[1])
    assert report["first"].startswith("Preparing the compute kernels in the background")
    assert "compiled and cached" in report["done"][0]  # a cold cache takes seconds
    assert report["p99_gap_ms"] < 50 and report["max_gap_ms"] < 500


def test_the_canvas_network_compiles_first_textbook_then_fast_then_the_rest(monkeypatch):
    """A run of the canvas's network trains on the textbook loops from the first stage on,
    and on its fast kernels from the second; any other network's waits for every kernel."""
    import studio.data
    import studio.engine
    from studio.app.kernel_warmup import KernelWarmup

    stages = []
    canvas, other = {"name": "on the canvas"}, {"name": "another"}
    warmup = KernelWarmup(canvas, 64)

    def compile_kernels(first, batch, only_first=False, engine="fast"):
        stages.append((engine, only_first, warmup.first_ready.is_set()))

    monkeypatch.setattr(studio.engine, "compile_kernels", compile_kernels)
    monkeypatch.setattr(studio.data, "synthetic_digits", lambda count: None)
    assert warmup.fast_kernels_for(dict(canvas)) is warmup.first_ready
    assert warmup.fast_kernels_for(other) is warmup.ready
    warmup.start()
    assert warmup.ready.wait(5)
    assert stages == [("textbook", True, False), ("fast", True, False), ("fast", False, True)]


def test_a_run_started_while_the_kernels_compile_is_under_way_at_once(window, qtbot):
    """Train pressed before the fast kernels are ready (held back here): the batches run on
    the textbook loops, the bar and the status bar say so, and the run goes on at full
    speed as soon as they are ready."""
    import threading

    from studio.engine import TrainConfig

    held = threading.Event()
    window.warmup.fast_kernels_for = lambda architecture: held
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    window.start_training(TrainConfig(epochs=20))  # still running when the kernels are in
    qtbot.waitUntil(lambda: "kernels compiling" in window.progress.format(), timeout=30000)
    assert "textbook loops" in window.statusBar().currentMessage()
    # released once they really are compiled: with a cold cache (a new NUMBA_CPU_NAME) the
    # switch would otherwise compile them in the run, for minutes
    qtbot.waitUntil(window.warmup.first_ready.is_set, timeout=900000)
    held.set()
    qtbot.waitUntil(lambda: "s left" in window.progress.format(), timeout=30000)
    assert "full speed" in window.statusBar().currentMessage()
    window.stop_training()
    qtbot.waitUntil(lambda: not window.training.running, timeout=30000)


def test_the_pages_own_passes_run_on_the_textbook_loops_until_the_fast_kernels_are_ready(
        window, qtbot):
    """A pixel clicked (or a test image picked) on a first launch compiled the fast kernels
    on the GUI thread: the window froze until they were done. Same numbers either way."""
    import threading

    import numpy as np

    from .views import show_untrained

    held = threading.Event()
    window.warmup.fast_kernels_for = lambda architecture: held
    watch, _, _ = show_untrained(window)
    watch.tabs.setCurrentWidget(watch.feature_maps_page)
    qtbot.waitUntil(lambda: watch.feature_maps.snapshot is not None, timeout=5000)
    watch.feature_maps.sample.setValue(3)  # a look inside the model, on the GUI thread
    watch.feature_maps.choose(0, (1, 10, 12))  # and an explanation
    assert watch.model.engine == watch._explainer.engine == "textbook"
    on_loops = (watch._latest.input_gradient.copy(), watch.math.text.toPlainText())
    held.set()
    watch.feature_maps.sample.setValue(4)
    watch.feature_maps.sample.setValue(3)
    watch.feature_maps.choose(0, (1, 10, 12))
    assert watch.model.engine == watch._explainer.engine == "fast"
    np.testing.assert_allclose(watch._latest.input_gradient, on_loops[0], rtol=1e-4, atol=1e-7)
    assert watch.math.text.toPlainText().splitlines()[:3] == on_loops[1].splitlines()[:3]
