"""The package's version, in a module that imports nothing (``wavefront --version`` reads it)."""

__version__ = "0.1.0.dev0"
