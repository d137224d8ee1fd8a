"""Number formatting shared by the command line and the figures (no plotting imports)."""

from __future__ import annotations

import math

__all__ = ["short_number", "in_unit", "display_unit"]


def short_number(value: float) -> str:
    """A number in a few characters: 1.2M, 34.5k, 0.123."""
    if not math.isfinite(value):  # math, not numpy: the command line imports this at start-up
        return "n/a"
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if a >= 1e4:
        return f"{value / 1e3:,.1f}k"
    if a >= 100:
        return f"{value:,.0f}"
    if a >= 1:
        return f"{value:,.2f}"
    return f"{value:.3f}"


def display_unit(unit: str) -> str:
    """A unit as shown on screen: shares are shown as percentages ("share of families" -> "% of families")."""
    return "%" + unit[len("share") :] if unit.startswith("share") else unit


def in_unit(value: float, unit: str) -> str:
    """A level in its unit: shares as percentages, whole numbers without decimals, the rest short."""
    if not math.isfinite(value):
        return "n/a"
    if unit.startswith("share"):
        return f"{100 * value:.2f}%"
    if float(value).is_integer() and abs(value) < 1e6:
        return f"{value:,.0f}"
    return short_number(value)
