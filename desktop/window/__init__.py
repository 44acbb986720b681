"""The window's frame: start-up, the main window shell, the core services, the worker lanes,
theme, translators, shared messages and resources, the About box."""
