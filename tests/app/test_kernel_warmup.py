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
