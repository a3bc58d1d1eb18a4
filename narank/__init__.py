"""narank: rank neural architectures before training them."""

__version__ = "0.1.0"
