"""How the service writes dates and times in messages and mail: in the district's time zone,
spelled out, e.g. "Monday, October 5, 2026, 4:00 PM"."""

import datetime as dt

from django.utils import formats, timezone


def moment(value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "l, F j, Y, g:i A")


def day(value: dt.date) -> str:
    return formats.date_format(value, "F j, Y")
