"""``python -m sklearn_wavefront compare ...``: the ``wavefront`` command."""

from .cli import entry_point

if __name__ == "__main__":
    entry_point()
