"""The `torch.nn.Sequential` equivalent of an architecture (for tests, benchmarks, exports).

One module per layer, in order, so the npz names ("{i}.weight") are the
Sequential's state-dict names. torch is imported only when this is called;
the app never calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from studio.engine import analyse


def torch_modules(architecture: Mapping[str, Any]) -> list[Any]:
    import torch.nn as nn

    analysis = analyse(architecture)
    if not analysis.ok:
        raise ValueError("; ".join(map(str, analysis.problems)))
    modules = []
    for info in analysis.layers:
        c = info.config
        channels = info.input_shape[0]
        if info.type == "conv2d":
            modules.append(nn.Conv2d(channels, c["filters"], c["kernel"], c["stride"],
                                     info.padding))
        elif info.type == "maxpool2d":
            modules.append(nn.MaxPool2d(c["size"], c["stride"]))
        elif info.type == "avgpool2d":
            modules.append(nn.AvgPool2d(c["size"], c["stride"]))
        elif info.type == "dense":
            modules.append(nn.Linear(channels, c["units"]))
        elif info.type == "batchnorm2d":
            modules.append(nn.BatchNorm2d(channels, eps=c["eps"], momentum=c["momentum"]))
        elif info.type == "dropout":
            modules.append(nn.Dropout(c["rate"]))
        elif info.type == "leaky_relu":
            modules.append(nn.LeakyReLU(c["slope"]))
        else:
            modules.append({"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
                            "flatten": nn.Flatten}[info.type]())
    return modules


def to_torch_sequential(architecture: Mapping[str, Any],
                        state: Mapping[str, np.ndarray] | None = None) -> Any:
    """An `nn.Sequential` for `architecture`, loaded from `state` when given."""
    import torch

    model = torch.nn.Sequential(*torch_modules(architecture))
    if state is not None:
        model.load_state_dict({name: torch.from_numpy(np.array(array, dtype=np.float32))
                               for name, array in state.items()})
    return model
