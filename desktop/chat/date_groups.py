"""Which heading of the chats sidebar a chat falls under: Today, Yesterday, Last 7 days,
Last 30 days or Older, by the local calendar day it was last used.

Calendar days, not 24-hour spans: a chat from 23:50 yesterday is "Yesterday" at 00:10, as
people count. A chat dated after now (a clock that went back, an imported chat from a
machine ahead of ours) is "Today": a date is never a reason to fail.
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum


class DateGroup(IntEnum):
    """The sidebar's headings, newest first (the value orders them)."""

    TODAY = 0
    YESTERDAY = 1
    LAST_7_DAYS = 2
    LAST_30_DAYS = 3
    OLDER = 4


def date_group(timestamp: float, now: float) -> DateGroup:
    """The heading for a chat last used at ``timestamp`` (seconds), seen at ``now``."""
    try:
        day = dt.datetime.fromtimestamp(timestamp).date()
    except (OverflowError, OSError, ValueError):  # a date no calendar holds
        return DateGroup.OLDER if timestamp < now else DateGroup.TODAY
    days = (dt.datetime.fromtimestamp(now).date() - day).days
    if days <= 0:
        return DateGroup.TODAY
    if days == 1:
        return DateGroup.YESTERDAY
    if days <= 7:
        return DateGroup.LAST_7_DAYS
    if days <= 30:
        return DateGroup.LAST_30_DAYS
    return DateGroup.OLDER
