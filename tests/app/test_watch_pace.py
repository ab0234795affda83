"""A pace a learner can watch: slow motion, one batch at a time, and a timeline worth scrubbing."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QPushButton, QSlider

from studio.app.timeline import MEMORY_LIMIT

from .test_math_inspector import click_pixel, engine_output


def prepare(window, epochs: int = 1) -> None:
    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic",
                                        "epochs": epochs})


def set_watch_speed(window, qtbot, right_of_slowest: int) -> None:
    """Home on the watchSpeed slider (one step a second), then Right so many times."""
    slider = window.findChild(QSlider, "watchSpeed")
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    for _ in range(right_of_slowest):
        qtbot.keyClick(slider, Qt.Key.Key_Right)


def click(window, qtbot, name: str) -> None:
    qtbot.mouseClick(window.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


def steps_done(window) -> int:
    return window.progress.value()


def test_slow_motion_paces_the_run_and_step_runs_one_batch_while_paused(window, qtbot):
    prepare(window)
    set_watch_speed(window, qtbot, 2)
    assert "5 steps/s" in window.pace.label.text()
    click(window, qtbot, "trainButton")
    qtbot.waitUntil(lambda: steps_done(window) >= 2, timeout=30000)
    first, started = steps_done(window), time.perf_counter()
    qtbot.wait(2000)
    rate = (steps_done(window) - first) / (time.perf_counter() - started)
    assert 3 <= rate <= 6, f"{rate:.1f} steps/s at a watch speed of 5"
    kept = [s.step for s in window.watch.store.snapshots]
    assert kept[-4:] == list(range(kept[-1] - 3, kept[-1] + 1)), "a slowed step was not shown"

    step_button = window.findChild(QPushButton, "stepButton")
    assert not step_button.isEnabled()  # only while paused
    click(window, qtbot, "pauseButton")
    qtbot.wait(300)
    held = steps_done(window)
    qtbot.wait(600)
    assert steps_done(window) == held and step_button.isEnabled()
    click(window, qtbot, "stepButton")
    qtbot.waitUntil(lambda: steps_done(window) == held + 1, timeout=3000)
    qtbot.waitUntil(lambda: window.watch.store.snapshots[-1].step == held + 1, timeout=3000)
    qtbot.wait(500)
    assert steps_done(window) == held + 1  # paused again after one batch

    click(window, qtbot, "pauseButton")  # resume, at one step a second now
    set_watch_speed(window, qtbot, 0)
    qtbot.waitUntil(lambda: steps_done(window) > held + 1, timeout=3000)
    qtbot.wait(300)  # the worker is waiting out its second
    asked = time.perf_counter()
    click(window, qtbot, "stopButton")
    qtbot.waitUntil(lambda: not window.training.running, timeout=2000)
    assert time.perf_counter() - asked < 0.3  # not the rest of the second
    assert "Training stopped" in window.progress.format()


def test_in_slow_motion_the_maths_panel_follows_the_chosen_pixel_step_by_step(window, qtbot):
    prepare(window)
    set_watch_speed(window, qtbot, 1)  # 2 steps a second
    click(window, qtbot, "trainButton")
    watch = window.watch
    watch.tabs.setCurrentWidget(watch.feature_maps_page)
    qtbot.waitUntil(lambda: watch.feature_maps.snapshot is not None
                    and watch.feature_maps.maps.images is not None, timeout=30000)
    qtbot.wait(150)
    click_pixel(qtbot, watch.feature_maps.maps, 1, 5, 7)
    assert watch.math.explanation is not None
    seen = []

    def record():
        shown = watch.feature_maps.snapshot
        if not seen or seen[-1][0] != shown.step:
            seen.append((shown.step, watch.math.explanation.value, shown))

    timer = QTimer()
    timer.timeout.connect(record)
    timer.start(20)
    qtbot.waitUntil(lambda: len(seen) >= 4, timeout=10000)
    timer.stop()
    window.stop_training()
    steps = [step for step, _, _ in seen]
    assert steps == list(range(steps[0], steps[0] + len(steps))), "a step was skipped"
    for _, value, snapshot in seen[1:]:
        assert value == pytest.approx(engine_output(snapshot, 0, (1, 5, 7)), rel=1e-5, abs=1e-6)
    qtbot.waitUntil(lambda: not window.training.running, timeout=3000)


def test_a_short_run_leaves_a_timeline_worth_scrubbing_with_its_own_replay_speed(window, qtbot):
    prepare(window, epochs=2)
    started = time.perf_counter()
    click(window, qtbot, "trainButton")
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    print(f"2 epochs of tiny in {time.perf_counter() - started:.1f} s")
    store, timeline = window.watch.store, window.watch.timeline
    assert len(store.snapshots) >= 100 and store.bytes <= MEMORY_LIMIT
    slider = timeline.slider
    assert slider.maximum() == len(store.snapshots) - 1
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    assert window.watch.loss.marker.value() == store.snapshots[0].step
    speed = window.findChild(QComboBox, "replaySpeed")
    speed.setFocus()
    qtbot.keyClick(speed, Qt.Key.Key_End)  # the fastest
    assert speed.currentData() == 50 and timeline.timer.interval() == 20
    qtbot.mouseClick(timeline.play, Qt.MouseButton.LeftButton)
    started = time.perf_counter()
    qtbot.wait(1000)
    moved = slider.value() / (time.perf_counter() - started)
    assert 20 <= moved <= 55, f"replayed {moved:.0f} positions a second at 50/s"
    qtbot.keyClick(speed, Qt.Key.Key_Home)  # 1 a second
    at = slider.value()
    qtbot.wait(500)
    assert slider.value() - at <= 1
