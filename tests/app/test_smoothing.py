"""The smoothed loss is the textbook exponential moving average, however long the run."""

import numpy as np
import pytest

from studio.app.curves_panel import smoothed


def _textbook(values, weight):
    average, out = 0.0, []
    for t, x in enumerate(values, start=1):
        average = weight * average + (1 - weight) * x
        out.append(average / (1 - weight ** t))
    return np.array(out)


@pytest.mark.parametrize("weight", [0.0, 0.01, 0.5, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("length", [0, 1, 7, 1000, 5000])
def test_smoothed_equals_the_running_average_step_by_step(weight, length):
    values = np.random.default_rng(length).gamma(2.0, 1.0, length) * 3
    np.testing.assert_allclose(smoothed(values, weight), _textbook(values, weight),
                               rtol=1e-9, atol=1e-12)
