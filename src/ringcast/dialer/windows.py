"""Moved to `ringcast.scheduling.windows` (pure scheduling code); kept for old imports."""

from ringcast.scheduling.windows import (
    MAX_JUMPS,
    WEEKDAYS,
    DailyWindow,
    NoAllowedTimeError,
    PauseWindows,
)

__all__ = ["MAX_JUMPS", "WEEKDAYS", "DailyWindow", "NoAllowedTimeError", "PauseWindows"]
