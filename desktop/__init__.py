"""Fireside's window: PySide6 widgets over the core. Nothing here does core work itself."""
