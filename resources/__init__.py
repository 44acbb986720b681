"""Fireside's run-time resources (icons, translations, catalogue); data, not code."""
