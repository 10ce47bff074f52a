"""Turning Ray's error text into one readable line."""

from __future__ import annotations

from raysweep.results import strip_ansi

__all__ = ["clean_error"]


def clean_error(error: BaseException | str) -> str:
    """The last meaningful line of an error, without ANSI colour codes or Ray's wrapping."""
    text = strip_ansi(str(error)).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__
