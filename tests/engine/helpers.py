"""Build one-layer networks and compare them with finite differences or PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np

from studio.engine import FORMAT, VERSION, Network


def architecture(input_shape: tuple[int, int, int], *layers: dict[str, Any]) -> dict[str, Any]:
    channels, height, width = input_shape
    return {"format": FORMAT, "version": VERSION, "name": "test",
            "input": {"channels": channels, "height": height, "width": width},
            "layers": list(layers)}


def single_layer_network(input_shape, layer: dict[str, Any], dtype=np.float64, seed=0) -> Network:
    """The layer under test followed by flatten, so the output is a flat vector."""
    layers = [layer] if layer["type"] in ("flatten", "dense") else [layer, {"type": "flatten"}]
    return Network(architecture(input_shape, *layers), seed=seed, dtype=dtype)


def projected_loss(network: Network, x: np.ndarray, projection: np.ndarray,
                   training: bool = True) -> float:
    """L = Σ y·R: its gradient dL/dy is R, so every output element is tested."""
    return float((network.forward(x, training=training) * projection).sum())


def analytic_gradients(network: Network, x: np.ndarray, projection: np.ndarray,
                       training: bool = True) -> tuple[dict[str, np.ndarray], np.ndarray]:
    network.forward(x, training=training)
    grad_x = network.backward(projection.astype(network.dtype), input_gradient=True)
    return {k: v.copy() for k, v in zip(network.state_dict(), _grad_views(network))}, grad_x.copy()


def _grad_views(network: Network) -> list[np.ndarray]:
    return [layer.grads[name] for layer in network.layers for name in layer.param_shapes()]


def numeric_gradient(f, array: np.ndarray, coordinates: int, rng: np.random.Generator,
                     eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Central differences (f(θ+ε) − f(θ−ε))/2ε at `coordinates` random flat indices."""
    flat = array.reshape(-1)
    chosen = rng.choice(flat.size, size=min(coordinates, flat.size), replace=False)
    values = np.empty(len(chosen))
    for k, i in enumerate(chosen):
        saved = flat[i]
        flat[i] = saved + eps
        plus = f()
        flat[i] = saved - eps
        minus = f()
        flat[i] = saved
        values[k] = (plus - minus) / (2 * eps)
    return chosen, values


def check_pooling_epilogue(out, pooled, argmax, expected, want_pooled, want_argmax,
                           write_out: bool, rtol: float, passed_above: float = 0.0) -> None:
    """A conv's fused pooled map and arg-max against a separate ReLU and max-pool of
    `expected` (where the window's maximum is above `passed_above` × its scale: elsewhere
    the gradient is zero whichever place wins), and `out` written only when asked for."""
    scale = np.abs(expected).max()
    np.testing.assert_allclose(pooled, want_pooled, rtol=rtol, atol=rtol * scale)
    passed = want_pooled > passed_above * scale
    np.testing.assert_array_equal(argmax[passed], want_argmax[passed])
    if write_out:
        np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol * scale)
    else:
        assert np.isnan(out).all()  # nobody reads it, so it is not written
