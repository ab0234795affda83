"""The desktop app (PySide6 + pyqtgraph). It reaches the engine only through its public API."""

from __future__ import annotations


def run(file: str | None = None, data: str | None = None) -> int:
    """Open the main window and enter the event loop (or say which system libraries Qt lacks)."""
    import sys

    from .system_libraries import install_advice, missing_qt_libraries

    missing = missing_qt_libraries()
    if missing:
        print(install_advice(missing), file=sys.stderr)
        return 2
    from .main_window import run_app

    return run_app(file, data)


def create_main_window(argv: list[str] | None = None):
    """Build the main window (and the QApplication if needed) without entering the event loop.

    `argv` are the arguments after the program name: `[FILE] [--data DIR]`.
    """
    from .main_window import create_main_window as create

    return create(argv)
