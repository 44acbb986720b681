"""The Settings dialog and its pages (one class per section over a shared page contract)."""
