"""Sizes, rates and durations as people read them.

Decimal units (1 GB = 10^9 bytes), as disks and the Hub show them, so the figures Fireside
prints match what a person sees in their file manager and on the model's page.
"""

from __future__ import annotations

_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_size(n_bytes: float) -> str:
    """``9_100_000_000`` -> ``"9.1 GB"``; whole bytes below 1 KB."""
    value = float(n_bytes)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def human_rate(bytes_per_s: float) -> str:
    return f"{human_size(bytes_per_s)}/s"


def human_duration(seconds: float | None) -> str:
    """``83`` -> ``"1:23"``, ``3725`` -> ``"1:02:05"``; unknown -> ``"--:--"``."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds > 99 * 3600:
        return "--:--"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def human_count(n: int) -> str:
    """Parameter counts as model pages write them: 494M, 1.5B."""
    if n >= 1_000_000_000:
        return f"{n / 1e9:.1f}B"
    if n >= 1_000_000:
        return f"{n / 1e6:.0f}M"
    return str(n)
