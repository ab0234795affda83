"""The kernel playground: hand-made filters on a digit, the stride lesson, and into the network."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from studio.engine import TrainConfig
from studio.engine.hand_kernels import KERNEL_PRESETS, apply_kernel


def open_playground(window):
    window.pages.setCurrentWidget(window.watch)
    window.watch.tabs.setCurrentWidget(window.watch.playground)
    return window.watch.playground


def test_a_preset_filters_the_digit_and_fills_in_the_output_size(window, qtbot):
    playground = open_playground(window)
    assert playground.images is not None  # synthetic digits until a run loads a dataset
    playground.preset.setCurrentText("Sobel x (vertical edges)")
    image = playground.images[playground.sample.value()][0]
    shown = playground.grids["output"].images[0]
    np.testing.assert_allclose(shown, apply_kernel(image, KERNEL_PRESETS[
        "Sobel x (vertical edges)"]), rtol=1e-6)
    assert "⌊(28 + 2·0 − 3)/1⌋ + 1 = 26" in playground.formula.text()
    playground.stride.setValue(2)
    playground.padding.setCurrentText("same")
    assert "only keeps the size with stride 1" in playground.formula.text()
    assert playground.grids["output"].images is None
    playground.padding.setCurrentText("1")
    assert "⌊(28 + 2·1 − 3)/2⌋ + 1 = 14" in playground.formula.text()
    dilated = playground.grids["dilated"].images[0]
    assert dilated.shape == (27, 27) and np.count_nonzero(dilated) == 14 * 14


def test_typing_a_weight_changes_the_output(window, qtbot):
    playground = open_playground(window)
    playground.preset.setCurrentText("identity")
    before = playground.grids["output"].images[0].copy()
    playground.table.item(1, 1).setText("2")
    np.testing.assert_allclose(playground.grids["output"].images[0], 2 * before, rtol=1e-6)


def test_a_hand_made_kernel_goes_into_the_network_and_stays_fixed(window, qtbot):
    window.load_preset("lenet5")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    playground = open_playground(window)
    playground.preset.setCurrentText("Sobel x (vertical edges)")
    assert not playground.put.isEnabled()  # LeNet-5's convs are 5×5
    playground.preset.setCurrentText("Gaussian blur 5×5")
    assert playground.put.isEnabled() and playground.target.count() == 1  # conv 3 sees 6 channels
    playground.filter.setValue(2)
    playground.frozen.setChecked(True)
    qtbot.mouseClick(playground.put, Qt.MouseButton.LeftButton)
    assert window.training_panel.settings["frozen_filters"] == [[0, 2]]
    assert "layer 0 filter 2" in window.training_panel.frozen.text()
    before = window.trained_network().layers[0].params["weight"].copy()
    window.start_training(TrainConfig(epochs=1, snapshot_interval=0, frozen_filters=((0, 2),)))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    after = window.trained_network().layers[0].params["weight"]
    np.testing.assert_array_equal(after[2, 0], KERNEL_PRESETS["Gaussian blur 5×5"]
                                  .astype(np.float32))
    assert not np.allclose(after[0], before[0])


def test_putting_a_kernel_in_is_undone_by_undo(window, qtbot):
    """The kernel goes in through an undo command: undo puts back the filter, the kernel a
    fresh run starts with and the fixed filters; redo puts them in again."""
    window.load_preset("lenet5")
    window.use_kernel(0, 2, np.ones((5, 5)), frozen=False)  # draws the starting weights
    network = window.trained_network()
    before = network.layers[0].params["weight"][1].copy(), network.layers[0].params["bias"][1]
    kernel = KERNEL_PRESETS["Gaussian blur 5×5"]
    window.use_kernel(0, 1, kernel, frozen=True)
    np.testing.assert_array_equal(network.layers[0].params["weight"][1, 0],
                                  kernel.astype(np.float32))
    assert network.layers[0].params["bias"][1] == 0
    assert window.training_panel.settings["frozen_filters"] == [[0, 1]]
    assert set(window.training.starting_filters) == {(0, 1), (0, 2)}
    assert window.windowTitle().endswith("*")

    window.undo_stack.undo()
    np.testing.assert_array_equal(network.layers[0].params["weight"][1], before[0])
    assert network.layers[0].params["bias"][1] == before[1]
    assert window.training_panel.settings["frozen_filters"] == []
    assert set(window.training.starting_filters) == {(0, 2)}
    window.undo_stack.redo()
    assert window.training_panel.settings["frozen_filters"] == [[0, 1]]
    np.testing.assert_array_equal(network.layers[0].params["weight"][1, 0],
                                  kernel.astype(np.float32))


def test_every_cell_of_the_kernel_shows_and_the_lesson_reads_for_each_stride(window, qtbot):
    window.resize(1024, 700)
    playground = open_playground(window)
    table = playground.table
    for size in ("5×5", "3×3"):
        playground.size.setCurrentText(size)
        qtbot.wait(50)
        k = table.rowCount()
        corner = table.visualItemRect(table.item(k - 1, k - 1))
        assert table.viewport().rect().contains(corner), size  # no scrolling to reach it
    lesson = playground.lesson.text()
    assert playground.stride.value() == 1 and "zero" not in lesson and "as it is" in lesson
    playground.stride.setFocus()
    for stride, spread in ((2, "1 zero between"), (3, "2 zeros between")):
        qtbot.keyClick(playground.stride, Qt.Key.Key_Up)
        assert playground.stride.value() == stride
        assert spread in playground.lesson.text()


def test_a_colour_image_has_one_kernel_per_channel_and_the_output_sums_them(window, qtbot):
    window.load_preset("lenet5_rgb")  # its first conv: 5×5 on three channels
    playground = open_playground(window)
    images = np.random.default_rng(0).random((4, 3, 32, 32)).astype(np.float32)
    playground.set_images(images)
    assert playground.channel.isVisible()
    assert playground.grids["input"].images.shape == (1, 32, 32, 3)  # shown in colour
    playground.preset.setCurrentText("Gaussian blur 5×5")  # on every channel
    playground.channel.setCurrentText("red")
    for i in range(5):
        for j in range(5):
            playground.table.item(i, j).setText("0.04")  # red: a box blur instead
    playground.channel.setCurrentText("blue")  # red's kernel is kept while another shows
    kernels = playground.kernels()
    np.testing.assert_allclose(kernels[0], np.full((5, 5), 0.04))
    np.testing.assert_allclose(kernels[1], KERNEL_PRESETS["Gaussian blur 5×5"])
    image = images[playground.sample.value()]
    expected = sum(apply_kernel(image[c], kernels[c]) for c in range(3))
    np.testing.assert_allclose(playground.grids["output"].images[0], expected, rtol=1e-5,
                               atol=1e-6)
    assert playground.put.isEnabled()
    received = []
    playground.use_kernel.connect(lambda *args: received.append(args))
    playground.put.click()
    assert len(received) == 1 and received[0][2].shape == (3, 5, 5)
    np.testing.assert_allclose(received[0][2], kernels)
