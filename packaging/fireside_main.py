"""The frozen app's entry point (PyInstaller runs this file as ``__main__``).

``multiprocessing.freeze_support()`` comes first: the engine process is started with
``spawn``, which inside a bundle runs this same executable again with multiprocessing's
own arguments; freeze_support turns that run into the engine and never returns.
``desktop.window.app.main`` calls it too, but only after its own module imports; here nothing
else runs before it. Everything else (the window, ``--self-test``, which never imports Qt)
is ``desktop.window.app.main``'s business.

``FIRESIDE_SPAWN_WRAPPER`` names a program that starts the child processes (the engine, the
document parser, the template renderer) instead of this executable itself, given the same
arguments: an emulator or a profiler around the engine. packaging/release-check uses it to
run a release bundle's engine under ``qemu-x86_64`` as an older CPU: qemu-user does not
follow a program's ``execve``, so without it the engine would run on the real CPU.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    wrapper = os.environ.get("FIRESIDE_SPAWN_WRAPPER")
    if wrapper:
        multiprocessing.set_executable(wrapper)
    from desktop.window.app import main

    sys.exit(main())
