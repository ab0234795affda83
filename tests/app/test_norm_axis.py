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


def test_many_decades_on_a_short_axis_are_labelled_every_few_and_never_closer_than_a_label(window):
    axis = window.watch.gradients.norms.getAxis("left")
    (_, decades), = axis.logTickValues(-12.0, 2.0, 150, [])
    assert len(decades) >= 3
    assert 150 * (decades[1] - decades[0]) / 14 >= 20  # pixels between two labels
    assert all(v.is_integer() for v in decades)
    (_, every), = axis.logTickValues(-12.0, 2.0, 600, [])
    assert every == [float(v) for v in range(-12, 3)]  # room enough: all of them
