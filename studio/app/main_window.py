"""The main window and the application entry points."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


class MainWindow(QMainWindow):
    def __init__(self, file: str | None = None, data: str | None = None):
        super().__init__()
        self.setWindowTitle("CNN Studio")
        self.resize(1280, 800)
        label = QLabel("CNN Studio — the network builder arrives with the next release.\n"
                       "Meanwhile: python -m studio train --help")
        label.setMargin(40)
        self.setCentralWidget(label)


def _application(argv: list[str] | None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("CNN Studio")
        app.setOrganizationName("CNN Studio")
    return app  # type: ignore[return-value]


def create_main_window(argv: list[str] | None = None, file: str | None = None,
                       data: str | None = None) -> MainWindow:
    _application(argv)
    return MainWindow(file, data)


def run_app(file: str | None = None, data: str | None = None) -> int:
    app = _application(None)
    window = MainWindow(file, data)
    window.show()
    return app.exec()
