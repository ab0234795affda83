"""Runs and curves stay apart for people with a colour-vision deficiency, on light and dark."""

import itertools

import numpy as np
import pytest

from studio.app.colours import HEALTHY, SERIES, UNHEALTHY, WATCH

# Machado, Oliveira and Fernandes (2009), severity 1.0, applied to linear RGB.
DEFICIENCIES = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def _linear(colour: str) -> np.ndarray:
    srgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _seen(colour: str, deficiency: str) -> np.ndarray:
    return np.clip(np.array(DEFICIENCIES[deficiency]) @ _linear(colour), 0, 1)


@pytest.mark.parametrize("deficiency", sorted(DEFICIENCIES))
def test_the_first_four_series_and_the_health_colours_are_told_apart(deficiency):
    for colours in (SERIES[:4], (HEALTHY, WATCH, UNHEALTHY)):
        for a, b in itertools.combinations(colours, 2):
            assert np.abs(_seen(a, deficiency) - _seen(b, deficiency)).max() > 0.08, (a, b)


@pytest.mark.parametrize("background", ["#ffffff", "#1e1e1e"])
def test_every_series_colour_shows_on_a_light_and_a_dark_background(background):
    luminance = lambda c: _linear(c) @ [0.2126, 0.7152, 0.0722]  # noqa: E731
    for colour in SERIES:
        lighter, darker = sorted([luminance(colour), luminance(background)], reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) > 1.5, colour
