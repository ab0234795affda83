"""The maths panel's numbers can be read and trusted: small values show, logits carry
their class and probability, a drawing's gradient target is the learner's choice and
says so, a hovered product shows its factors, and a mistake opens where it can be
explained."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from studio.app.math_inspector import number_format, number_grid
from studio.engine import as_input, evaluate, look_inside, softmax

from .views import click_tab, click_tile, grid_point, show_untrained


@pytest.mark.parametrize(("values", "shown"), [
    ([[1.2e-5, -3.4e-6]], ["1.20e-05", "-3.40e-06"]),  # a gradient's share printed 0.000
    ([[0.5, -1.25]], ["0.500", "-1.250"]),
    ([[12345.0, 1.0]], ["1.23e+04", "1.00e+00"]),
    ([[0.0, 0.0]], ["0.000", "0.000"]),
])
def test_numbers_print_at_a_precision_that_shows_them(values, shown):
    assert number_grid(np.array(values))[0].split() == shown


def draw_a_stroke(qtbot, sketch) -> None:
    """A real mouse stroke down the middle of the drawing pad."""
    qtbot.mousePress(sketch, Qt.MouseButton.LeftButton, pos=QPoint(140, 60))
    for y in range(70, 230, 10):
        qtbot.mouseMove(sketch, QPoint(140, y))
    qtbot.mouseRelease(sketch, Qt.MouseButton.LeftButton, pos=QPoint(140, 230))


def test_a_drawing_takes_its_gradient_for_the_class_the_learner_picks(window, qtbot):
    watch, _, network = show_untrained(window)
    click_tab(qtbot, watch.tabs, watch.drawing)
    draw_a_stroke(qtbot, watch.drawing.sketch)
    drawing = watch.drawing.sketch.pixels()[None].astype(np.float32)
    predicted = int(np.argmax(network.forward(drawing[None])[0]))
    assert watch._latest.sample_label == predicted  # until a class is picked
    assert "the class it predicts" in watch.source(watch._latest)
    picked = (predicted + 3) % 10
    watch.drawing.target.setCurrentText(str(picked))
    shown = watch._latest
    assert shown.sample_label == picked
    np.testing.assert_allclose(shown.input_gradient,
                               look_inside(network, drawing, picked).input_gradient)
    click_tab(qtbot, watch.tabs, watch.feature_maps_page)
    qtbot.waitUntil(lambda: watch.feature_maps.snapshot is shown, timeout=3000)
    assert f"for class {picked}, the class you picked" in watch.feature_maps.source.text()
    assert "test image" not in watch.feature_maps.source.text()
    watch.feature_maps.choose(0, (1, 10, 12))
    assert watch.math.text.toPlainText().startswith(watch.feature_maps.source.text())
    assert f"target class {picked}" in watch.math.text.toPlainText()
    box = watch.feature_maps.sample  # it named "test image #0" under the drawing's maps
    assert box.text() == "your drawing"
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Up)  # to a test image, and back down to the drawing
    qtbot.waitUntil(lambda: "Test image #0" in watch.source(watch._latest), timeout=3000)
    assert box.text() == "test image #0"
    qtbot.keyClick(box, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: "Your drawing" in watch.source(watch._latest), timeout=3000)
    assert watch._latest.sample_label == picked and box.text() == "your drawing"


def test_the_logits_are_labelled_by_class_with_their_probabilities(window, qtbot):
    watch, dataset, network = show_untrained(window)
    click_tab(qtbot, watch.tabs, watch.feature_maps_page)
    last = len(network.layers) - 1
    watch.feature_maps.select_layer(last)
    qtbot.waitUntil(lambda: watch.feature_maps.maps.images is not None
                    and len(watch.feature_maps.maps.images) == 10, timeout=3000)
    probabilities = softmax(watch.feature_maps.snapshot.feature_maps[last][None])[0]
    titles = [t.toPlainText() for t in watch.feature_maps.maps.titles]
    assert titles == [f"{c}: {p:.1%}" for c, p in zip(dataset.classes, probabilities)]
    qtbot.wait(150)  # the redraw timer lays the grid out
    click_tile(qtbot, watch.feature_maps.maps, 7)
    assert watch.math.explanation.position == (7,)
    assert f"logit of class 7: softmax e^Y[7] / Σ_j e^Y[j] gives it probability " \
           f"{probabilities[7]:.2%}" in watch.math.text.toPlainText()


def test_hovering_a_product_highlights_its_input_pixel_and_kernel_weight(window, qtbot):
    watch, _, _ = show_untrained(window)
    click_tab(qtbot, watch.tabs, watch.feature_maps_page)
    qtbot.waitUntil(lambda: watch.feature_maps.snapshot is not None, timeout=3000)
    watch.feature_maps.choose(0, (2, 12, 14))
    patch, kernel, products, _ = (grid for _, grid in watch.math.pictures)
    qtbot.wait(100)
    qtbot.mouseMove(products.viewport(), grid_point(products, 0, 1, 3))
    qtbot.waitUntil(lambda: patch.marker.isVisible(), timeout=2000)
    for grid in (patch, kernel, products):
        rect = grid.marker.rect()
        assert (rect.x(), rect.y()) == (3, 1)
    arrays = watch.math.explanation.arrays
    factors = [arrays[name] for name in ("input patch X", "kernel K[2]", "products X·K")]
    x, k, product = (number_format(a).format(a[0, 1, 3]) for a in factors)
    assert watch.math.hover.text().startswith(
        f"X[0, patch row 1, column 3] · K[2, 0, 1, 3] = {x} · {k} = {product}")


def test_clicking_a_mistake_opens_it_in_feature_maps_and_the_maths(window, qtbot):
    watch, dataset, network = show_untrained(window)
    evaluation = evaluate(network, dataset.test_images, dataset.test_labels)
    wrong = np.flatnonzero(evaluation.predictions != dataset.test_labels)
    assert len(wrong) > 2  # an untrained network gets most wrong
    click_tab(qtbot, watch.tabs, watch.evaluation)
    watch.evaluation.show_evaluation(evaluation, dataset.test_images, dataset.test_labels,
                                     dataset.classes)
    qtbot.wait(150)
    click_tile(qtbot, watch.evaluation.gallery, 2, 14, 14)
    index, predicted = int(wrong[2]), int(evaluation.predictions[wrong[2]])
    assert watch.tabs.currentWidget() is watch.feature_maps_page
    assert watch.feature_maps.sample.value() == index
    np.testing.assert_array_equal(watch.feature_maps.snapshot.sample_image,
                                  as_input(dataset.test_images[index:index + 1])[0])
    shown = watch.math.explanation
    assert (shown.layer, shown.position) == (len(network.layers) - 1, (predicted,))
    assert watch.math.text.toPlainText().startswith(
        f"Test image #{index}, true label {dataset.test_labels[index]}")


def test_stepping_back_to_a_drawing_during_a_run_leaves_the_run_and_its_captions_alone(
        window, qtbot):
    """The drawing's place in the box (-1) reached the trainer as the test image to
    snapshot: its next snapshot raised IndexError and the run never ended."""
    from studio.engine import TrainConfig

    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    window.start_training(TrainConfig(epochs=1, snapshot_interval=0.05))
    watch = window.watch
    qtbot.waitUntil(lambda: watch.model is not None or watch._latest is not None, timeout=30000)
    qtbot.waitUntil(lambda: watch.dataset is not None, timeout=30000)
    watch.set_model(watch.model or window.training.network)
    click_tab(qtbot, watch.tabs, watch.drawing)
    draw_a_stroke(qtbot, watch.drawing.sketch)
    click_tab(qtbot, watch.tabs, watch.feature_maps_page)
    box = watch.feature_maps.sample
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Up)
    qtbot.keyClick(box, Qt.Key.Key_Down)
    assert box.text() == "your drawing"
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    assert not window.errors and window.recorder.runs[-1].status == "finished"
    watch.offer_snapshot(watch.store.snapshots[-1])  # a run's snapshot, not the drawing
    assert "Test image #0" in watch.source(watch.store.snapshots[-1])
