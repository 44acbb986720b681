"""The engine: the only code that touches llama_cpp, running in its own process.

Use :class:`core.engine.client.EngineClient`; nothing outside this package imports llama_cpp,
and only the engine process (``core.engine.worker``) does inside it.
"""
