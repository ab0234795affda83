"""ONNX export written with the `onnx` package's helpers (no torch at run time).

Opset 13. The graph takes `input` (N, C, H, W) float32 in [0, 1], N dynamic, and
returns `logits`. Dropout is the identity at inference and is left out.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from studio import engine  # the network being exported

from .atomic import atomic_write_bytes

if TYPE_CHECKING:  # onnx takes about a second to import: only an export loads it
    import onnx

OPSET = 13


def _nodes(network: engine.Network) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    from onnx import helper, numpy_helper

    nodes, initializers = [], []
    state = network.state_dict()

    def tensors(index: int, *names: str) -> list[str]:
        """Add the layer's arrays as initializers, named as in the .npz; return the names."""
        keys = [f"{index}.{name}" for name in names]
        initializers.extend(numpy_helper.from_array(np.asarray(state[k], dtype=np.float32), k)
                            for k in keys)
        return keys

    current = "input"
    for info in network.analysis.layers:
        index, c = info.index, info.config
        out = "logits" if index == len(network.layers) - 1 else f"{index}.{info.type}"

        if info.type == "dropout":
            nodes.append(helper.make_node("Identity", [current], [out]))
        elif info.type == "conv2d":
            p = info.padding
            nodes.append(helper.make_node(
                "Conv", [current, *tensors(index, "weight", "bias")], [out],
                kernel_shape=[c["kernel"]] * 2, strides=[c["stride"]] * 2, pads=[p] * 4))
        elif info.type in ("maxpool2d", "avgpool2d"):
            op = "MaxPool" if info.type == "maxpool2d" else "AveragePool"
            nodes.append(helper.make_node(op, [current], [out], kernel_shape=[c["size"]] * 2,
                                          strides=[c["stride"]] * 2))
        elif info.type == "dense":
            nodes.append(helper.make_node(
                "Gemm", [current, *tensors(index, "weight", "bias")], [out], transB=1))
        elif info.type == "flatten":
            nodes.append(helper.make_node("Flatten", [current], [out], axis=1))
        elif info.type == "batchnorm2d":
            nodes.append(helper.make_node(
                "BatchNormalization",
                [current, *tensors(index, "weight", "bias", "running_mean", "running_var")], [out],
                epsilon=c["eps"], momentum=1 - c["momentum"]))
        elif info.type == "leaky_relu":
            nodes.append(helper.make_node("LeakyRelu", [current], [out], alpha=c["slope"]))
        else:
            op = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}[info.type]
            nodes.append(helper.make_node(op, [current], [out]))
        current = out
    return nodes, initializers


def to_onnx(network: engine.Network) -> onnx.ModelProto:
    import onnx
    from onnx import TensorProto, helper

    nodes, initializers = _nodes(network)
    channels, height, width = network.input_shape
    graph = helper.make_graph(
        nodes, network.architecture.get("name") or "cnn-studio", [
            helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                          ["batch", channels, height, width])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["batch", network.analysis.output_shape[0]])],
        initializers)
    model = helper.make_model(graph, producer_name="CNN Studio",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # readable by onnxruntime releases of the last years
    onnx.checker.check_model(model, full_check=True)
    return model


def write_onnx(path: str | os.PathLike, network: engine.Network) -> None:
    atomic_write_bytes(path, to_onnx(network).SerializeToString())
