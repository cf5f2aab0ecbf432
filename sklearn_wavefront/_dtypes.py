"""torch and numpy floating dtypes: the one map between them and the one rule for half precision.

The lowest module of the package with :mod:`._validation` (it imports only numpy and torch), so the
operators, the filterbanks and the estimators all read the same two rules.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["NUMPY_DTYPES", "numpy_dtype", "compute_dtype"]

#: The numpy dtype of each torch floating dtype numpy has (bfloat16 has none).
NUMPY_DTYPES = {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64}


def numpy_dtype(dtype: torch.dtype, default=None):
    """The numpy dtype of the torch floating ``dtype``; ``default`` for one numpy lacks (bfloat16).

    Raises ``KeyError`` naming the dtype when there is none and no ``default`` is given.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_wavefront._dtypes import numpy_dtype
    >>> numpy_dtype(torch.float32) is np.float32, numpy_dtype(torch.bfloat16, default=np.float32) is np.float32
    (True, True)
    """
    found = NUMPY_DTYPES.get(dtype, default)
    if found is None:
        raise KeyError(f"numpy has no dtype for torch's {dtype}")
    return found


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype arithmetic runs in: float32 for half-precision inputs (float16, bfloat16), else ``dtype``."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
