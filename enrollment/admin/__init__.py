"""The enrollment app's admin: enrollments, attendance, evaluations and completions
(enrollments.py), and the catalog's sessions and meetings (sessions.py), whose changes reach the
people enrolled."""

from . import enrollments, sessions  # noqa: F401
