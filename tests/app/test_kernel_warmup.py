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


def test_the_rest_waits_after_the_first_batch_stage_until_released(monkeypatch, qtbot):
    """While a run that has just started compiles its first batch (the window holds the
    warm-up), the warm-up compiles nothing else: Numba compiles one kernel at a time."""
    import studio.data
    import studio.engine
    from studio.app.kernel_warmup import KernelWarmup

    stages = []
    monkeypatch.setattr(studio.engine, "compile_kernels",
                        lambda first, batch, first_batch_only=False: stages.append(
                            "first batch" if first_batch_only else "everything"))
    monkeypatch.setattr(studio.data, "synthetic_digits", lambda count: None)
    warmup = KernelWarmup({"name": "on the canvas"}, 64)
    warmup.hold()
    warmup.start()
    qtbot.waitUntil(lambda: stages == ["first batch"], timeout=5000)
    assert not warmup.ready.wait(0.3) and stages == ["first batch"]
    warmup.release()
    assert warmup.ready.wait(5) and stages == ["first batch", "everything"]
