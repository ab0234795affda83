"""Clicking a feature-map pixel shows the arithmetic that produced it, with the engine's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.engine import Network

from .views import grid_point


def click_pixel(qtbot, grid, tile, row, column):
    """A real mouse click on the middle of one pixel of one tile of an ImageGrid."""
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton,
                     pos=grid_point(grid, tile, row, column))


@pytest.fixture
def feature_maps(trained, qtbot):
    """The trained window showing the feature maps of its last snapshot."""
    trained.watch.tabs.setCurrentWidget(trained.watch.feature_maps_page)
    qtbot.waitUntil(lambda: trained.watch.feature_maps.snapshot is not None, timeout=5000)
    return trained


def engine_output(snapshot, layer, position):
    network = Network(snapshot.architecture)
    network.load_state_dict(snapshot.weights)
    network.forward(snapshot.sample_image[None])
    return float(network.outputs[layer][0][position])


@pytest.mark.parametrize(("layer", "tile", "row", "column"),
                         [(0, 2, 13, 9), (2, 5, 4, 6), (3, 11, 7, 2), (9, 0, 0, 17)])
def test_clicking_a_pixel_shows_the_sum_that_made_it(feature_maps, qtbot, layer, tile, row,
                                                   column):
    watch = feature_maps.watch
    watch.feature_maps.select_layer(layer)
    qtbot.waitUntil(lambda: watch.feature_maps.maps.images is not None, timeout=5000)
    qtbot.wait(150)  # the redraw timer lays the grid out for this layer
    click_pixel(qtbot, watch.feature_maps.maps, tile, row, column)
    shown = watch.math.explanation
    assert shown is not None and shown.layer == layer
    flat = len(shown.position) == 1
    assert shown.position == ((column,) if flat else (tile, row, column))
    expected = engine_output(watch.feature_maps.snapshot, layer, shown.position)
    assert shown.value == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert watch.math.title.text().startswith(f"layer {layer} (")
    assert "dL/dY" in watch.math.text.toPlainText()
    assert watch.feature_maps.maps.marker.isVisible()


def test_a_conv_pixel_shows_patch_kernel_and_products(feature_maps, qtbot):
    watch = feature_maps.watch
    watch.feature_maps.choose(0, (1, 10, 12))
    text = watch.math.text.toPlainText()
    assert "Σ of the 25 products" in text and "kernel K[1]" in text
    assert "→ ReLU (layer 1)" in text
    shown = [label.text() for label, grid in watch.math.pictures if grid.isVisible()]
    flat = {caption: not array.any() for caption, array in watch.math.explanation.arrays.items()}
    assert shown == [f"{caption}: all 0" if flat[caption] else caption for caption in
                     ("input patch X", "kernel K[1]", "products X·K", "share of dL/dK")]
    patch, kernel = watch.math.explanation.arrays["input patch X"], \
        watch.math.explanation.arrays["kernel K[1]"]
    np.testing.assert_allclose(watch.math.explanation.arrays["products X·K"], patch * kernel)


def test_the_maths_text_names_the_textbook_function_behind_it():
    from studio.app.math_inspector import as_text
    from studio.engine import Network, explain
    from studio.io import load_preset

    found = explain(Network(load_preset("lenet5")), np.zeros((1, 28, 28)), 3, 0, (0, 1, 1))
    assert as_text(found).endswith("In the code: forward conv2d_forward, backward "
                                   "conv2d_weight_gradient, conv2d_bias_gradient and "
                                   "conv2d_input_gradient in studio/engine/conv/reference.py.")


def test_a_colour_pixel_prints_the_patch_and_kernel_of_all_three_channels():
    from studio.app.math_inspector import as_text
    from studio.engine import Network, explain
    from studio.io import load_preset

    image = np.random.default_rng(0).random((3, 32, 32))
    text = as_text(explain(Network(load_preset("lenet5_rgb")), image, 3, 0, (0, 4, 4)))
    assert "over the 3×5×5 patch" in text
    for caption in ("input patch X", "kernel K[0]", "products X·K"):
        for c, name in enumerate(("red", "green", "blue")):
            assert f"{caption} (channel {c}, {name}):" in text


def test_on_a_large_screen_the_maths_pictures_are_large_enough_to_read(trained, qtbot):
    """Stacked 2:3 over the sums at 1920×1080, a 3×3 picture was 35 pixels wide."""
    trained.resize(1920, 1080)
    watch = trained.watch
    watch.tabs.setCurrentWidget(watch.feature_maps_page)
    qtbot.waitUntil(lambda: watch.feature_maps.snapshot is not None, timeout=5000)
    watch.feature_maps.choose(0, (1, 10, 12))
    qtbot.wait(200)
    kernel = watch.math.pictures[1][1]
    assert kernel.tile_size() >= 48
    lines = watch.math.text.height() / watch.math.text.fontMetrics().lineSpacing()
    assert lines >= 12  # and the sums keep room for their first lines
