"""The gradient-norm plot labels its log axis sparsely enough to read."""

from __future__ import annotations


def test_the_norm_axis_labels_only_decades_or_two_and_five(window):
    window.pages.setCurrentIndex(1)
    axis = window.watch.gradients.norms.getAxis("left")
    wide = axis.logTickValues(-4.0, -0.5, 300, [])
    assert wide == [(1.0, [-4.0, -3.0, -2.0, -1.0])]
    narrow = axis.logTickValues(-1.2, -0.1, 300, [])
    labels = sorted(round(10 ** v, 6) for level in narrow for v in level[1])
    assert labels == [0.1, 0.2, 0.5]
