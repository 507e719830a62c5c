"""Evaluation, dates: working days for the few clocks counted in them (FACTS B1.11).

For now Saturdays and Sundays are the only days off; the holiday calendar kept as
versioned data arrives with the statutory clocks.
"""

from datetime import datetime, timedelta


def add_working_days(start: datetime, days: int) -> datetime:
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current
