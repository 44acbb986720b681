"""The frozen app's entry point (PyInstaller runs this file as ``__main__``).

``multiprocessing.freeze_support()`` comes first: the engine process is started with
``spawn``, which inside a bundle runs this same executable again with multiprocessing's
own arguments; freeze_support turns that run into the engine and never returns.
``desktop.window.app.main`` calls it too, but only after its own module imports; here nothing
else runs before it. Everything else (the window, ``--self-test``, which never imports Qt)
is ``desktop.window.app.main``'s business.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from desktop.window.app import main

    sys.exit(main())
