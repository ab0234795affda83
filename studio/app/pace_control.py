"""How fast the run goes while a learner watches: full speed down to one step a second.

A slider of fixed speeds; the training worker does the waiting between batches,
so the GUI only says which speed was chosen.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

#: steps per second at each position of the slider; None: as fast as it goes
SPEEDS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, None)


def speed_text(speed: float | None) -> str:
    if speed is None:
        return "full speed"
    return f"{speed:g} step{'s' if speed != 1 else ''}/s"


SETTING = "watchSpeed"  # the QSettings key: the speed is remembered between sessions


class PaceControl(QWidget):
    changed = Signal(object)  # steps per second, or None for full speed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("watchSpeed")
        self.slider.setRange(0, len(SPEEDS) - 1)
        self.slider.setValue(remembered_position())
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setToolTip("Slow training down to watch it learn, down to one step a "
                               "second; every step is then shown. While paused, Step runs "
                               "one batch.")
        self.slider.setMinimumWidth(90)
        self.label = QLabel()
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("watch: 50 steps/s"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.slider)
        self.slider.valueChanged.connect(self._on_change)
        self._on_change(self.slider.value())

    @property
    def speed(self) -> float | None:
        return SPEEDS[self.slider.value()]

    def _on_change(self, _position: int) -> None:
        self.label.setText(f"watch: {speed_text(self.speed)}")
        QSettings().setValue(SETTING, "full" if self.speed is None else self.speed)
        self.changed.emit(self.speed)


def remembered_position() -> int:
    """The slider position of the speed chosen last time (full speed the first time)."""
    value = QSettings().value(SETTING, "full")
    for position, speed in enumerate(SPEEDS):
        if str(value) == ("full" if speed is None else str(speed)):
            return position
    return len(SPEEDS) - 1
