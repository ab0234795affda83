"""The app's colours: one per layer type (palette and canvas), and the plots' series."""

from PySide6.QtGui import QColor

COLOURS = {
    "conv2d": "#4e79a7", "maxpool2d": "#59a14f", "avgpool2d": "#8cd17d", "relu": "#f28e2b",
    "leaky_relu": "#f28e2b", "sigmoid": "#ffbe7d", "tanh": "#ffbe7d", "flatten": "#9c755f",
    "dense": "#b07aa1", "dropout": "#bab0ac", "batchnorm2d": "#76b7b2",
}

#: Okabe and Ito's palette: told apart with every common colour-vision deficiency, and on light
#: and dark backgrounds alike (their black and yellow are left out: each vanishes on one).
SERIES = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
LOSS, TRAIN, TEST, MARKER = SERIES[0], SERIES[1], SERIES[2], SERIES[3]
HEALTHY, WATCH, UNHEALTHY = SERIES[2], SERIES[1], SERIES[3]


def series_colour(index: int) -> str:
    """The colour of the index-th run or layer in a plot of several."""
    return SERIES[index % len(SERIES)]


def faint(colour: str, alpha: int) -> QColor:
    """`colour` with an alpha (0-255), for the raw line under a smoothed one."""
    faded = QColor(colour)
    faded.setAlpha(alpha)
    return faded


#: the channels of a colour image, in the order the engine stores them (C, H, W)
COLOUR_CHANNELS = ("red", "green", "blue")
