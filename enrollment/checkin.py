"""Self check-in codes. During a meeting the facilitator shows a short code (and a QR code of the
address that carries it); an enrolled person who opens it, signed in, is marked present.

A code is derived, not stored: an HMAC of the meeting and the current time window under the
site's secret key, so it rotates every CHECK_IN_CODE_SECONDS, is worth nothing for another
meeting, and needs no table. The code of the window before still counts, so a code read off the
screen just before it changes still works."""

from __future__ import annotations

import datetime as dt

import segno
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from catalog.models import Meeting

# No 0/O or 1/I/L: a code is read off a projector and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6
EXAMPLE = "K7Q2ZP"
_SALT = "enrollment.checkin"


def window_of(at: dt.datetime) -> int:
    return int(at.timestamp()) // settings.CHECK_IN_CODE_SECONDS


def code_for(meeting_id: int, window: int) -> str:
    digest = salted_hmac(_SALT, f"{meeting_id}:{window}", algorithm="sha256").digest()
    return "".join(ALPHABET[byte % len(ALPHABET)] for byte in digest[:LENGTH])


def current_code(meeting: Meeting, at: dt.datetime) -> str:
    return code_for(meeting.pk, window_of(at))


def changes_at(at: dt.datetime) -> dt.datetime:
    """When the code showing at `at` gives way to the next."""
    seconds = settings.CHECK_IN_CODE_SECONDS
    return dt.datetime.fromtimestamp((window_of(at) + 1) * seconds, tz=dt.UTC)


def normalise(code: str) -> str:
    """A code as typed: case, spaces and hyphens ignored."""
    return "".join(code.split()).upper().replace("-", "")


def well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def opens_at(meeting: Meeting) -> dt.datetime:
    return meeting.starts_at - dt.timedelta(minutes=settings.CHECK_IN_OPENS_MINUTES_BEFORE)


def closes_at(meeting: Meeting) -> dt.datetime:
    return meeting.ends_at + dt.timedelta(minutes=settings.CHECK_IN_CLOSES_MINUTES_AFTER)


def is_open(meeting: Meeting, at: dt.datetime) -> bool:
    return opens_at(meeting) <= at <= closes_at(meeting)


def accepts(meeting: Meeting, code: str, at: dt.datetime) -> bool:
    """Whether the code is the meeting's now or was a moment ago (the window before)."""
    window = window_of(at)
    return any(constant_time_compare(code, code_for(meeting.pk, w)) for w in (window, window - 1))


def was_once(meeting: Meeting, code: str, at: dt.datetime) -> bool:
    """Whether the code was the meeting's earlier in its check-in time (an expired code)."""
    first = window_of(opens_at(meeting))
    return any(
        constant_time_compare(code, code_for(meeting.pk, w))
        for w in range(first, window_of(at) - 1)
    )


def qr_svg(address: str) -> str:
    """The address as a QR code, an inline SVG that scales with its box (no fixed size)."""
    return segno.make(address, error="m").svg_inline(
        scale=1, omitsize=True, border=2, dark="#000", light="#fff"
    )
