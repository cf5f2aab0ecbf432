"""Root pytest configuration: what ``--doctest-modules`` may import from the package.

``sklearn_wavefront/ops/_triton_comb.py`` imports ``triton`` at module level, and triton has wheels
for Linux only (it is an optional, Linux-only extra): where it does not import, the module is
left out of the doctest collection instead of failing it. The package itself imports it only
when CUDA and triton are both there.
"""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("triton") is None:
    collect_ignore.append("sklearn_wavefront/ops/_triton_comb.py")
