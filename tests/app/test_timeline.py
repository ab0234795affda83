"""The training timeline: a bounded snapshot store, a slider that replays it, kept on disk."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt

from studio.app.timeline import SnapshotStore, snapshot_bytes


def test_the_slider_at_k_shows_the_snapshot_taken_at_k(trained, qtbot):
    watch = trained.watch
    watch.tabs.setCurrentWidget(watch.feature_maps_page)
    snapshots = watch.store.snapshots
    assert len(snapshots) >= 5
    assert watch.timeline.slider.value() == len(snapshots) - 1  # live
    for k in (0, len(snapshots) // 2):
        watch.timeline.show_index(k)
        assert watch.feature_maps.snapshot is snapshots[k]
        assert f"step {snapshots[k].step}," in watch.timeline.label.text()
        assert watch.loss.marker.isVisible() and watch.loss.marker.value() == snapshots[k].step
    watch.tabs.setCurrentWidget(watch.filters)
    qtbot.wait(150)
    layer = watch.filters.layer
    np.testing.assert_array_equal(watch.filters.kernels, snapshots[k].kernels[layer])
    qtbot.mouseClick(watch.timeline.live, Qt.MouseButton.LeftButton)
    assert watch.timeline.following and not watch.loss.marker.isVisible()


def test_replay_plays_through_to_the_end(trained, qtbot):
    timeline = trained.watch.timeline
    timeline.show_index(0)
    qtbot.mouseClick(timeline.play, Qt.MouseButton.LeftButton)
    assert timeline.play.isChecked()
    qtbot.waitUntil(lambda: not timeline.play.isChecked(), timeout=20000)
    assert timeline.slider.value() == timeline.slider.maximum()


def test_the_store_stays_within_its_memory_limit_and_spans_the_run(trained):
    template = trained.watch.store.snapshots[0]
    size = snapshot_bytes(template)
    store = SnapshotStore(memory_limit=10 * size)
    for step in range(1, 101):
        store.add(replace(template, step=step))
    steps = [s.step for s in store.snapshots]
    assert store.bytes <= 10 * size
    assert steps[0] == 1 and steps[-1] == 100 and len(steps) >= 5


def test_the_timeline_is_saved_with_the_project_and_replays_after_opening(trained, tmp_path):
    path = tmp_path / "t.cnnproj"
    assert trained.save_to(path)
    assert (tmp_path / "t.timeline.npz").is_file()
    before = trained.watch.store.snapshots
    trained.new_network()
    assert trained.watch.store.snapshots == []
    assert trained.open_file(path)
    after = trained.watch.store.snapshots
    assert [s.step for s in after] == [s.step for s in before]
    for name, array in before[2].weights.items():
        np.testing.assert_array_equal(after[2].weights[name], array)
    np.testing.assert_array_equal(after[2].feature_maps[0], before[2].feature_maps[0])
    assert after[2].health[0].level == before[2].health[0].level


def test_the_mistakes_tab_replays_the_evaluation_of_the_epoch_before(trained, qtbot, tmp_path):
    watch = trained.watch
    watch.tabs.setCurrentWidget(watch.evaluation)
    store = watch.store
    assert sorted(store.evaluations) == [0, 1]
    first = next(k for k, s in enumerate(store.snapshots) if s.epoch == 0)
    watch.timeline.show_index(first)
    qtbot.wait(150)
    assert watch.evaluation.confusion is None  # no epoch had finished yet
    second = next(k for k, s in enumerate(store.snapshots) if s.epoch == 1)
    watch.timeline.show_index(second)
    qtbot.waitUntil(lambda: watch.evaluation.confusion is not None, timeout=3000)
    np.testing.assert_array_equal(watch.evaluation.confusion, store.evaluations[0].confusion)
    expected = store.evaluations[1].predictions.copy()
    path = tmp_path / "e.cnnproj"
    assert trained.save_to(path)
    trained.new_network()
    assert watch.store.evaluations == {}
    assert trained.open_file(path)
    np.testing.assert_array_equal(watch.store.evaluations[1].predictions, expected)
