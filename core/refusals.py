"""Why the enrollment rules refuse something: a machine-readable code, a message for people, and
the HTTP status the API answers with. The messages are templates the tests assert on."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Refusal(Exception):
    """A rule said no. Nothing was written. `status` is 409 when the request conflicts with the
    state of things (already enrolled, registration closed, a clash) and 400 when the request
    itself is wrong (a missing reason, a rating out of range)."""

    code: str
    message: str
    status: int = 409
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


# Codes: stable, documented in the API schema.
NOT_PERMITTED = "not_permitted"
SESSION_DRAFT = "session_draft"
SESSION_CANCELLED = "session_cancelled"
SESSION_ENDED = "session_ended"
REGISTRATION_NOT_OPEN = "registration_not_open"
REGISTRATION_CLOSED = "registration_closed"
STAFF_SEPARATED = "staff_separated"
ALREADY_ENROLLED = "already_enrolled"
NOT_IN_AUDIENCE = "not_in_audience"
PREREQUISITES_MISSING = "prerequisites_missing"
SCHEDULE_CONFLICT = "schedule_conflict"
NOT_WITHDRAWABLE = "not_withdrawable"
NOT_PENDING = "not_pending"
APPROVAL_LAPSED = "approval_lapsed"
REASON_REQUIRED = "reason_required"
NOT_ON_ROSTER = "not_on_roster"
MEETING_CANCELLED = "meeting_cancelled"
MEETING_NOT_STARTED = "meeting_not_started"
EVALUATION_NOT_OPEN = "evaluation_not_open"
EVALUATION_ALREADY_SUBMITTED = "evaluation_already_submitted"
RATING_OUT_OF_RANGE = "rating_out_of_range"
EVIDENCE_REQUIRED = "evidence_required"
COMPLETION_EXISTS = "completion_exists"
ALREADY_VOIDED = "already_voided"
ALREADY_CANCELLED = "already_cancelled"
INVALID_VALUE = "invalid_value"
CHECK_IN_CLOSED = "check_in_closed"
CHECK_IN_CODE_EXPIRED = "check_in_code_expired"
CHECK_IN_CODE_WRONG = "check_in_code_wrong"
CHECK_IN_TOO_MANY_TRIES = "check_in_too_many_tries"
ALREADY_CREDITED = "already_credited"

CODES = (
    NOT_PERMITTED,
    SESSION_DRAFT,
    SESSION_CANCELLED,
    SESSION_ENDED,
    REGISTRATION_NOT_OPEN,
    REGISTRATION_CLOSED,
    STAFF_SEPARATED,
    ALREADY_ENROLLED,
    NOT_IN_AUDIENCE,
    PREREQUISITES_MISSING,
    SCHEDULE_CONFLICT,
    NOT_WITHDRAWABLE,
    NOT_PENDING,
    APPROVAL_LAPSED,
    REASON_REQUIRED,
    NOT_ON_ROSTER,
    MEETING_CANCELLED,
    MEETING_NOT_STARTED,
    EVALUATION_NOT_OPEN,
    EVALUATION_ALREADY_SUBMITTED,
    RATING_OUT_OF_RANGE,
    EVIDENCE_REQUIRED,
    COMPLETION_EXISTS,
    ALREADY_VOIDED,
    ALREADY_CANCELLED,
    INVALID_VALUE,
    CHECK_IN_CLOSED,
    CHECK_IN_CODE_EXPIRED,
    CHECK_IN_CODE_WRONG,
    CHECK_IN_TOO_MANY_TRIES,
    ALREADY_CREDITED,
)

# Messages. Placeholders are filled with str.format by the services.
MSG_NOT_PERMITTED = "You may not do this for {name}."
MSG_OVERRIDE_NOT_PERMITTED = "Only district PD may enroll outside the registration window."
MSG_NOT_FACILITATOR = "You do not facilitate this session."
MSG_DISTRICT_PD_ONLY = "Only district PD may do this."
MSG_NOT_PARTICIPANT = "Only the participant evaluates their session."
MSG_SESSION_DRAFT = "This session is not published yet."
MSG_SESSION_CANCELLED = "This session is cancelled."
MSG_SESSION_ENDED = "This session has ended."
MSG_REGISTRATION_NOT_OPEN = "Registration opens {when}."
MSG_REGISTRATION_CLOSED = "Registration closed {when}."
MSG_STAFF_SEPARATED = "{name} no longer works for the district."
MSG_ALREADY_CREDITED = (
    "{name} completed this course on {when}: left out (include people already credited to "
    "assign them again)."
)
MSG_ALREADY_ENROLLED = "{name} already has a place in this session ({status})."
# The same refusals, said to the person who asked for the place themselves.
MSG_ALREADY_ENROLLED_OWN = "You already have a place in this session ({status})."
MSG_NOT_IN_AUDIENCE = "This session is only for members of {group}."
MSG_NOT_IN_AUDIENCE_FOR = "This session is only for {audience}."
MSG_PREREQUISITES_MISSING = "Complete the prerequisite first: {courses}."
MSG_PREREQUISITES_MISSING_MANY = "Complete the prerequisites first: {courses}."
MSG_SCHEDULE_CONFLICT = "This clashes with {session} on {when}, where {name} is {status}."
MSG_SCHEDULE_CONFLICT_OWN = "This clashes with {session} on {when}, where you are {status}."
MSG_NOT_WITHDRAWABLE = "This enrollment is {status}; it can no longer be withdrawn."
MSG_SESSION_OVER_NOT_WITHDRAWABLE = (
    "The session is over: its attendance decides the credit, so the place can no longer be "
    "withdrawn."
)
MSG_NOT_ASSIGNABLE = "Not found among the current staff you may assign."
MSG_ASSIGN_NOT_PERMITTED = "Only building leaders and district PD assign staff to sessions."
MSG_NOT_PENDING = "This enrollment is {status}, not waiting for approval."
MSG_APPROVAL_LAPSED = (
    "This request waited more than {days} days for approval and lapsed; the seat was freed."
)
MSG_DECLINE_NEEDS_REASON = "Say why the request is declined; the person is told."
MSG_REASON_NUL = "The reason holds a NUL character, which text cannot; type it again."
MSG_CANCEL_NEEDS_REASON = "Say why it is cancelled; the participants are told."
MSG_NOT_ON_ROSTER = "{name} is not on this session's roster."
MSG_MEETING_CANCELLED = "This meeting is cancelled; there is no attendance to take."
MSG_MEETING_NOT_STARTED = "This meeting has not started yet; take attendance from {when}."
MSG_MEETING_OF_OTHER_SESSION = "This meeting belongs to another session."
MSG_EVALUATION_NOT_OPEN = "The evaluation opens when the last meeting ends, {when}."
MSG_EVALUATION_NOT_ATTENDED = "Only participants who took part in the session evaluate it."
MSG_EVALUATION_ALREADY_SUBMITTED = "The evaluation for this session is already in."
MSG_RATING_OUT_OF_RANGE = "{field}: give a rating from 1 to 5."
MSG_EVIDENCE_REQUIRED = (
    "Describe the evidence (certificate, agenda, sign-in sheet) for this record."
)
MSG_COMPLETION_EXISTS = "{name} already has a completion of {course} on {day}."
MSG_CLOCK_HOURS_INVALID = "Clock hours must be a number from 0 to 999.99."
MSG_COMPLETED_ON_FUTURE = "A completion cannot be dated in the future."
MSG_ALREADY_VOIDED = "This completion is already voided."
MSG_VOID_NEEDS_REASON = "Voiding a completion needs a reason."
MSG_ALREADY_CANCELLED = "This is already cancelled."
MSG_CHECK_IN_CODE_FORMAT = (
    "A check-in code is {length} letters and digits, like {example}: check the code on the "
    "screen and type it again."
)
MSG_CHECK_IN_CLOSED = (
    "None of your sessions is meeting now. Check-in opens {before} minutes before a meeting "
    "starts and closes {after} minutes after it ends; outside that, ask the facilitator to mark "
    "you present."
)
MSG_CHECK_IN_CODE_EXPIRED = (
    "This code has expired: the code on the screen changes every few minutes. Scan or type the "
    "one showing now."
)
MSG_CHECK_IN_CODE_WRONG = (
    "This code is not the one for your session meeting now. Check the code on the screen, or ask "
    "the facilitator to mark you present."
)
MSG_CHECK_IN_TOO_MANY_TRIES = (
    "Too many codes tried: wait {minutes} minutes, or ask the facilitator to mark you present."
)
MSG_NO_STAFF_RECORD = "This login has no staff record."
MSG_OUTSIDE_OWN_ONLY = "Outside learning is submitted by the person who did it."
MSG_OUTSIDE_DATES = "The activity cannot end before it starts ({starts} to {ends})."
MSG_OUTSIDE_FUTURE = (
    "The activity ends on {ends}, which has not come yet: submit it once it is over."
)
MSG_OUTSIDE_HOURS_INVALID = "The hours must be a number more than 0, e.g. 6 or 7.5."
MSG_OUTSIDE_HOURS_TOO_MANY = (
    "{hours} hours is more than the activity's {days} day{plural} allow{s} at {per_day} hours a "
    "day (at most {most}): check the dates or the hours."
)
MSG_OUTSIDE_EVIDENCE_MISSING = (
    "Attach evidence: a certificate, a transcript or an agenda, as a PDF or a photo."
)
MSG_OUTSIDE_EVIDENCE_EMPTY = "The file {name} is empty."
MSG_OUTSIDE_EVIDENCE_TOO_BIG = "The file {name} is {size}; the largest accepted is {most}."
MSG_OUTSIDE_EVIDENCE_TYPE = (
    "The file {name} is not a PDF, PNG or JPEG: save the evidence as a PDF, or take a photo of it."
)
MSG_OUTSIDE_EVIDENCE_MISLABELLED = (
    "The file {name} is named as {named} but its contents are {actual}: save it again as {named}, "
    "or rename it to end in .{extension}."
)
MSG_OUTSIDE_NOT_SUBMITTED = "This activity was already {status}."
