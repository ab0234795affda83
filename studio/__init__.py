"""CNN Studio: build, train and export convolutional networks, with a from-scratch engine."""

__version__ = "0.1.0"
