"""The plan: one frozen choice per layer, made when the network is built, saying why."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from studio.engine import ConvPlan, Network
from studio.engine.conv import (
    ANY_WINDOW,
    IM2COL,
    POOLED_PHASES,
    POOLED_SCATTER,
    REFERENCE,
    SHIFTED_ROWS,
    UNROLLED_2X2,
    WINOGRAD,
    Fused,
    reference,
)
from studio.io import load_preset

from .helpers import architecture


@pytest.mark.parametrize(("preset", "paths"), [
    ("lenet5", {0: (SHIFTED_ROWS, SHIFTED_ROWS), 3: (SHIFTED_ROWS, POOLED_SCATTER)}),
    ("wide", {0: (POOLED_PHASES, POOLED_PHASES), 3: (WINOGRAD, POOLED_SCATTER)}),
])
def test_the_presets_convs_get_the_paths_measured_fastest_for_them(preset, paths):
    plans = Network(load_preset(preset)).plans
    convs = {i: plan for i, plan in enumerate(plans) if isinstance(plan, ConvPlan)}
    assert {i: (plan.forward, plan.backward) for i, plan in convs.items()} == paths
    for i, plan in convs.items():
        assert plan.relu and plan.pool  # conv → ReLU → max-pool in both presets
        assert isinstance(plans[i + 1], Fused) and plans[i + 1].by == plans[i + 2].by == i
        assert plan.why and "\n" not in plan.why


def test_a_plan_is_frozen_and_the_layer_keeps_the_one_it_was_built_with():
    network = Network(load_preset("lenet5"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        network.plans[0].forward = IM2COL  # type: ignore[misc]
    assert network.layers[0].plan is network.plans[0]


@pytest.mark.parametrize(("conv", "forward", "backward"), [
    ({"filters": 64, "kernel": 5, "stride": 1}, IM2COL, IM2COL),  # sgemm wins with 64 filters
    ({"filters": 8, "kernel": 3, "stride": 2}, IM2COL, IM2COL),  # only im2col strides
    ({"filters": 8, "kernel": 3, "stride": 1}, SHIFTED_ROWS, SHIFTED_ROWS),
])
def test_a_conv_without_a_pool_runs_its_own_output_path(conv, forward, backward):
    layers = [{"type": "conv2d", "padding": 1, **conv}, {"type": "relu"}, {"type": "flatten"}]
    plan = Network(architecture((1, 12, 12), *layers)).plans[0]
    assert (plan.forward, plan.backward, plan.relu, plan.pool) == (forward, backward, True, False)
    assert forward in plan.why


def test_the_textbook_engine_plans_the_reference_loops_and_fuses_nothing():
    plans = Network(load_preset("lenet5"), engine="textbook").plans
    assert (plans[0].forward, plans[0].backward) == (REFERENCE, REFERENCE)
    assert not any(isinstance(plan, Fused) for plan in plans)


def test_a_pass_that_keeps_the_layers_output_runs_the_path_that_computes_it():
    network = Network(load_preset("wide"))
    plan, conv = network.plans[0], network.layers[0]
    assert (plan.forward, plan.kept_forward) == (POOLED_PHASES, SHIFTED_ROWS)
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    network.forward(x)  # inspection: every layer's output
    assert not conv.pooled_in_phases
    want = reference.conv2d_forward(x, conv.params["weight"], conv.params["bias"], 1, 1)
    np.testing.assert_allclose(network.outputs[0], want, rtol=1e-4, atol=1e-5)
    network.forward(x, layer_outputs=False)  # evaluation: the conv's own map is not needed
    assert conv.pooled_in_phases


@pytest.mark.parametrize(("pool", "path"), [((2, 2), UNROLLED_2X2), ((3, 2), ANY_WINDOW),
                                            ((2, 1), ANY_WINDOW)])
def test_a_max_pool_runs_the_unrolled_kernel_only_for_the_2x2_stride_2_window(pool, path):
    size, stride = pool
    layers = [{"type": "conv2d", "filters": 2, "kernel": 3, "padding": 1}, {"type": "relu"},
              {"type": "maxpool2d", "size": size, "stride": stride}, {"type": "flatten"}]
    plans = Network(architecture((1, 8, 8), *layers)).plans
    assert (plans[2].path, plans[2].by) == (path, 0)


def test_a_few_images_run_a_winograd_layer_on_im2col_unless_winograd_is_forced():
    """Winograd's fixed cost per call made one image 1.3–1.4× slower than im2col."""
    from studio.engine.conv import Force
    from studio.engine.conv.plan import WINOGRAD_MIN_IMAGES

    network = Network(load_preset("wide"))
    plan, conv = network.plans[3], network.layers[3]
    for fused in (True, False):
        assert plan.forward_path(fused, 1) == IM2COL
        assert plan.forward_path(fused, WINOGRAD_MIN_IMAGES - 1) == IM2COL
        assert plan.forward_path(fused, WINOGRAD_MIN_IMAGES) == WINOGRAD
    assert f"im2col for fewer than {WINOGRAD_MIN_IMAGES} images" in plan.why
    narrow = Network({**load_preset("wide"), "layers": [  # ≤ 32 filters: shifted rows otherwise
        {"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same"}, {"type": "relu"},
        {"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same"}, {"type": "relu"},
        {"type": "maxpool2d", "size": 2, "stride": 2}, {"type": "flatten"}]}).plans[2]
    assert narrow.forward_path(True, 1) == SHIFTED_ROWS
    assert narrow.forward_path(True, WINOGRAD_MIN_IMAGES) == WINOGRAD
    forced = Network(load_preset("wide"), force={3: Force(forward=WINOGRAD)}).plans[3]
    assert forced.forward_path(True, 1) == forced.forward_path(False, 1) == WINOGRAD
    x = np.random.default_rng(1).random((WINOGRAD_MIN_IMAGES, 1, 28, 28), dtype=np.float32)
    for images in (1, WINOGRAD_MIN_IMAGES):  # both paths compute the textbook conv
        network.forward(x[:images])
        want = reference.conv2d_forward(network.outputs[2], conv.params["weight"],
                                        conv.params["bias"], 1, 1)
        np.testing.assert_allclose(network.outputs[3], want, rtol=1e-4, atol=1e-5)
