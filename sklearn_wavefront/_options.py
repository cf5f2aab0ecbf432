"""How an error or a report names a parameter: as Python (``folds=3``) or as a command-line flag (``--folds 3``).

The same checks serve :func:`sklearn_wavefront.compare` called from Python and the ``wavefront``
command; a message must name what the user typed, so each takes an ``option_style``.
"""

from __future__ import annotations

__all__ = ["option", "OPTION_STYLES"]

OPTION_STYLES = ("python", "cli")
_MISSING = object()


def _shown(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def option(name, value=_MISSING, style="python"):
    """``name`` (and ``value``) as the user wrote them.

    Examples
    --------
    >>> from sklearn_wavefront._options import option
    >>> option("max_duration", 2.5, "cli"), option("max_duration", 2.5), option("group_column", style="cli")
    ('--max-duration 2.5', 'max_duration=2.5', '--group-column')
    """
    if style == "cli":
        flag = "--" + name.replace("_", "-")
        return flag if value is _MISSING else f"{flag} {_shown(value)}"
    if style != "python":
        raise ValueError(f"option_style must be one of {OPTION_STYLES}, got {style!r}")
    return name if value is _MISSING else f"{name}={value!r}"
