"""Turning a cell's text into a value, or a plain message saying why it cannot be one.

Every parser takes the trimmed text of a cell (see imports.readers) and raises `ValueProblem`
with a message meant for the person who fixes the file; the importers attach the row and the
column."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Iterator, Sequence
from itertools import compress, count

from django.core.validators import EmailValidator
from django.utils import timezone

from .readers import UNREADABLE

# Day 0 of Excel's (1900) date system; serials from 61 on are exact (Excel counts a February 29,
# 1900 that never was).
EXCEL_EPOCH = dt.date(1899, 12, 30)
FIRST_EXACT_SERIAL = 61
# Five digits at most: up to the year 2173. Eight digits read as YYYYMMDD.
EXCEL_SERIAL = re.compile(r"^\d{2,5}(\.\d+)?$")
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
US_DATE = re.compile(
    r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?)?$"
)
WORDY_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y")
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200

MSG_DATE = "This is not a date that can be read; write dates as YYYY-MM-DD or MM/DD/YYYY."
MSG_DATE_RANGE = "This date is not plausible: the year must be between 1900 and 2199."
MSG_EMAIL = "This is not a valid email address."
MSG_TOO_LONG = "This is longer than {limit} characters."
MSG_UNREADABLE = (
    "This holds a character that cannot be read (shown as \ufffd; often an invisible control "
    "character); type the cell again."
)

_email_validator = EmailValidator()
# Django's own check, taken apart so that a file of 100,000 addresses at one district domain
# checks the domain once (the user part is checked with the validator's own pattern).
_email_user_part = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
EMAIL_MAX_LENGTH = 320  # RFC 3696, as the validator has it


class ValueProblem(ValueError):
    """A cell that cannot be read as the value its column holds; str() is the message."""


def _checked(value: dt.date) -> dt.date:
    if not EARLIEST_YEAR <= value.year < LATEST_YEAR:
        raise ValueProblem(MSG_DATE_RANGE)
    return value


def _full_year(two_digits: int, *, today: dt.date) -> int:
    """A two-digit year: this century unless that is more than ten years ahead."""
    year = 2000 + two_digits
    return year if year <= today.year + 10 else year - 100


def parse_date(value: str, *, today: dt.date | None = None) -> dt.date | None:
    """A date from an Excel serial ("43697"), an ISO date ("2019-08-20", with or without a
    time), a US date ("8/20/2019", "8/20/19", "08-20-2019"), YYYYMMDD ("20190820") or a
    spelled-out month ("Aug 20, 2019", "20-Aug-2019"). Blank is None."""
    text = value.strip()
    if not text:
        return None
    today = today or timezone.localdate()
    try:
        if match := ISO_DATE.match(text):
            return _checked(dt.date(int(match[1]), int(match[2]), int(match[3])))
        if match := US_DATE.match(text):
            year = int(match[3])
            if len(match[3]) == 2:
                year = _full_year(year, today=today)
            return _checked(dt.date(year, int(match[1]), int(match[2])))
        if match := COMPACT_DATE.match(text):
            return _checked(dt.date(int(match[1]), int(match[2]), int(match[3])))
        if EXCEL_SERIAL.match(text):
            serial = int(float(text))
            if serial < FIRST_EXACT_SERIAL:
                raise ValueProblem(MSG_DATE_RANGE)
            return _checked(EXCEL_EPOCH + dt.timedelta(days=serial))
    except (ValueError, OverflowError) as error:
        if isinstance(error, ValueProblem):
            raise
        raise ValueProblem(MSG_DATE) from None
    for pattern in WORDY_FORMATS:
        try:
            return _checked(dt.datetime.strptime(text, pattern).date())  # noqa: DTZ007
        except ValueError:
            continue
    raise ValueProblem(MSG_DATE)


@functools.lru_cache(maxsize=1024)
def _email_domain_valid(domain: str) -> bool:
    return domain in _email_validator.domain_allowlist or _email_validator.validate_domain_part(
        domain
    )


def email_problem(text: str, *, max_length: int = 254) -> str | None:
    """Why a trimmed address is not one Django's EmailValidator accepts; None when it is."""
    if len(text) > max_length:
        return MSG_TOO_LONG.format(limit=max_length)
    if not text or "@" not in text or len(text) > EMAIL_MAX_LENGTH:
        return MSG_EMAIL
    user_part, domain_part = text.rsplit("@", 1)
    if not _email_user_part.match(user_part) or not _email_domain_valid(domain_part):
        return MSG_EMAIL
    return None


def email_problem_rows(texts: Sequence[str], *, max_length: int = 254) -> Iterator[int]:
    """The indexes of the trimmed addresses email_problem finds a problem with (some more than
    once), checked a column at a time in C loops: one call per row took half a second for
    100,000 rows. Each domain is checked once."""
    parts = list(map(operator.methodcaller("rpartition", "@"), texts))
    domains = list(map(operator.itemgetter(2), parts))
    valid = {domain for domain in set(domains) if domain and _email_domain_valid(domain)}
    limit = min(max_length, EMAIL_MAX_LENGTH)
    for problems in (
        map(limit.__lt__, map(len, texts)),
        map(operator.not_, map(operator.itemgetter(1), parts)),
        map(operator.not_, map(_email_user_part.match, map(operator.itemgetter(0), parts))),
        map(operator.not_, map(valid.__contains__, domains)),
    ):
        yield from compress(count(), problems)


def clean_email(value: str, *, max_length: int = 254) -> str:
    """The address as given (trimmed), checked as Django's EmailValidator checks it."""
    text = value.strip()
    problem = email_problem(text, max_length=max_length)
    if problem is not None:
        raise ValueProblem(problem)
    return text


def check_readable(text: str) -> str:
    """The text, unless the reader found a character in it that it could not keep."""
    if UNREADABLE in text:
        raise ValueProblem(MSG_UNREADABLE)
    return text


def clean_text(value: str, *, max_length: int) -> str:
    text = check_readable(value.strip())
    if len(text) > max_length:
        raise ValueProblem(MSG_TOO_LONG.format(limit=max_length))
    return text
