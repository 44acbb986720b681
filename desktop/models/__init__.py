"""Choosing and fetching models: the model manager, the first-run welcome, Hub look-ups and
the downloads both share."""
