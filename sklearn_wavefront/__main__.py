"""``python -m sklearn_wavefront compare ...``: the ``wavefront`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
