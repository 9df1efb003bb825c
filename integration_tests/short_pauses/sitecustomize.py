"""Loaded at start-up by a connector process whose PYTHONPATH names this folder (`short_pauses` in conftest.py): every
pause of a second or more is a hundredth as long, so that retry tests stay fast. The connector itself has no knob."""

import time
from typing import SupportsIndex

_sleep = time.sleep


def _shortened(seconds: float | SupportsIndex) -> None:
    pause = float(seconds)
    _sleep(pause / 100 if pause >= 1 else pause)


time.sleep = _shortened
