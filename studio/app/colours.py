"""One colour per layer type, shared by the palette and the canvas."""

COLOURS = {
    "conv2d": "#4e79a7", "maxpool2d": "#59a14f", "avgpool2d": "#8cd17d", "relu": "#f28e2b",
    "leaky_relu": "#f28e2b", "sigmoid": "#ffbe7d", "tanh": "#ffbe7d", "flatten": "#9c755f",
    "dense": "#b07aa1", "dropout": "#bab0ac", "batchnorm2d": "#76b7b2",
}
