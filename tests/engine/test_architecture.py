"""Shape inference: the textbook formula, costs, and the beginner-readable problems."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.engine import analyse, output_size
from studio.io import load_preset, preset_names

from .helpers import architecture


@pytest.mark.parametrize(("size", "kernel", "stride", "padding", "expected"), [
    (32, 5, 1, 0, 28),   # LeNet's first layer on 32×32
    (6, 3, 2, 1, 3),
    (28, 5, 1, 2, 28),   # "same" for a 5×5 kernel
    (7, 3, 1, 0, 5),
    (7, 3, 2, 0, 3),
    (5, 5, 1, 0, 1),
    (28, 2, 2, 0, 14),   # 2×2 pooling
    (27, 2, 2, 0, 13),   # the floor drops the last column
])
def test_output_size_is_the_textbook_formula(size, kernel, stride, padding, expected):
    assert output_size(size, kernel, stride, padding) == expected


def test_lenet5_shapes_parameters_and_macs():
    analysis = analyse(load_preset("lenet5"), num_classes=10)
    assert analysis.ok, analysis.problems
    shapes = [layer.output_shape for layer in analysis.layers]
    assert shapes[:7] == [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10),
                          (16, 5, 5), (400,)]
    assert analysis.layers[0].parameters == (5 * 5 * 1 + 1) * 6 == 156
    assert analysis.layers[3].parameters == (5 * 5 * 6 + 1) * 16
    assert analysis.layers[7].parameters == (400 + 1) * 120
    assert analysis.total_parameters == 61706  # the figure PyTorch reports for this LeNet-5
    assert analysis.layers[0].macs == 6 * 28 * 28 * 25


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_is_valid_and_ends_in_ten_classes(name):
    analysis = analyse(load_preset(name), num_classes=10)
    assert analysis.ok, analysis.problems
    assert analysis.output_shape == (10,)


def conv(**kw):
    return {"type": "conv2d", "filters": 4, "kernel": 3, **kw}


@pytest.mark.parametrize(("layers", "input_shape", "expected"), [
    ([conv(kernel=7)], (1, 3, 3),
     "layer 0 (conv2d): kernel 7 is larger than its 3×3 input — use a kernel of at most 3 or "
     "padding 'same'"),
    ([{"type": "flatten"}, {"type": "maxpool2d", "size": 2}], (1, 8, 8),
     "layer 1 (maxpool2d): needs an image-shaped input"),
    ([{"type": "dense", "units": 10}], (1, 8, 8),
     "layer 0 (dense): needs a flat input but gets a 1×8×8 image — add a flatten layer"),
    ([conv(stride=0)], (1, 8, 8), "layer 0 (conv2d): 'stride' must be positive, not 0"),
    ([conv(filters=-3)], (1, 8, 8), "layer 0 (conv2d): 'filters' must be positive, not -3"),
    ([conv(kernel=2.5)], (1, 8, 8), "layer 0 (conv2d): 'kernel' must be a whole number"),
    ([conv(kernel=4, padding="same")], (1, 8, 8), "padding 'same' needs an odd kernel"),
    ([conv(stride=2, padding="same")], (1, 8, 8),
     "padding 'same' only keeps the size with stride 1"),
    ([conv(padding="full")], (1, 8, 8), "padding must be 'valid', 'same' or a whole number"),
    ([{"type": "maxpool2d", "size": 9}], (1, 8, 8), "pool size 9 is larger than its 8×8 input"),
    ([{"type": "softmax"}], (1, 8, 8),
     "layer 0 (softmax): there is no softmax layer: the loss (softmax cross-entropy) applies "
     "softmax"),
    ([{"type": "dense"}], (1, 8, 8), "layer 0 (dense): needs 'units'"),
    ([{"type": "relu", "alpha": 2}], (1, 8, 8), "layer 0 (relu): unknown key 'alpha'"),
    ([{"type": "dropout", "rate": 1.5}], (1, 8, 8), "'rate' must be a number from 0"),
    ([conv()], (1, 8, 8), "the network must end in a flat vector"),
])
def test_problems_name_the_layer_and_say_what_to_do(layers, input_shape, expected):
    analysis = analyse(architecture(input_shape, *layers))
    assert not analysis.ok
    assert any(expected in str(problem) for problem in analysis.problems), analysis.problems


@pytest.mark.parametrize("kernel", [7, 8, 9, 10, 30])
@pytest.mark.parametrize(("padding", "stride"), [("valid", 1), (0, 2), (1, 1)])
def test_each_fix_a_too_large_kernel_is_offered_makes_it_fit(kernel, padding, stride):
    """Kernel 30 with 'valid' padding was told to try 'same', which needs an odd kernel."""
    layer = conv(kernel=kernel, padding=padding, stride=stride)
    problem, = analyse(architecture((1, 4, 4), layer, {"type": "flatten"})).problems
    fixes = problem.message.split(" — use ")[1]
    largest = int(re.search(r"a kernel of at most (\d+)", fixes).group(1))
    padded = re.search(r"padding ('same'|\d+)", fixes).group(1)
    for fixed in ({**layer, "kernel": largest},
                  {**layer, "padding": "same" if padded == "'same'" else int(padded)}):
        assert analyse(architecture((1, 4, 4), fixed, {"type": "flatten"})).ok, (fixes, fixed)
    assert not analyse(architecture((1, 4, 4), {**layer, "kernel": largest + 1},
                                    {"type": "flatten"})).ok  # the largest that fits


def test_every_problem_is_reported_not_just_the_first():
    arch = architecture((1, 8, 8), conv(kernel=0), {"type": "bogus"}, {"type": "dense"})
    indices = {problem.index for problem in analyse(arch).problems}
    assert indices == {0, 1, 2}


def test_wrong_number_of_classes_is_reported_on_the_last_layer():
    arch = load_preset("lenet5")
    arch["layers"][-1]["units"] = 7
    problems = analyse(arch, num_classes=10).problems
    assert [p.index for p in problems] == [11]
    assert "ends in 7 outputs but the dataset has 10 classes" in str(problems[0])


@pytest.mark.parametrize("squash", ["sigmoid", "relu", "tanh"])
def test_an_activation_after_the_last_dense_layer_is_a_warning_not_a_problem(squash):
    arch = load_preset("tiny")
    arch["layers"].append({"type": squash})
    analysis = analyse(arch, num_classes=10)
    assert analysis.ok  # it trains…
    [warning] = analysis.warnings  # …but is told why it learns badly
    assert warning.index == len(arch["layers"]) - 1
    assert f"{squash} after the last dense layer squashes the class scores" in str(warning)
    assert "remove it" in str(warning)
    assert not analyse(load_preset("lenet5")).warnings  # relus between dense layers are fine


@pytest.mark.parametrize(("patch", "expected"), [
    ({"format": "keras"}, "'format' must be 'cnn-studio.architecture'"),
    ({"version": 9}, "'version' 9 is not supported"),
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"input": {"channels": 1, "height": 0, "width": 28}}, "input 'height' must be positive"),
    ({"layers": []}, "the network has no layers"),
])
def test_file_level_problems(patch, expected):
    arch = {**load_preset("tiny"), **patch}
    assert any(expected in str(p) for p in analyse(arch).problems)


def test_normalised_architecture_fills_defaults():
    arch = architecture((1, 8, 8), {"type": "conv2d", "filters": 2, "kernel": 3},
                        {"type": "maxpool2d", "size": 2}, {"type": "flatten"})
    layers = analyse(arch).to_architecture()["layers"]
    assert layers[0] == {"type": "conv2d", "filters": 2, "kernel": 3, "stride": 1,
                         "padding": "valid"}
    assert layers[1] == {"type": "maxpool2d", "size": 2, "stride": 2}


@given(size=st.integers(1, 64), kernel=st.integers(1, 9), stride=st.integers(1, 4),
       padding=st.integers(0, 4))
def test_inferred_conv_shape_agrees_with_formula_or_explains(size, kernel, stride, padding):
    layer = {"type": "conv2d", "filters": 2, "kernel": kernel, "stride": stride,
             "padding": padding}
    analysis = analyse(architecture((1, size, size), layer, {"type": "flatten"}))
    if kernel > size + 2 * padding:
        assert "larger than its" in str(analysis.problems[0])
    else:
        assert analysis.ok
        side = output_size(size, kernel, stride, padding)
        assert analysis.layers[0].output_shape == (2, side, side)
