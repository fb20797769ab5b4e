"""The permission matrix: every page and API endpoint, for every role, read and write, and the
status each role gets. The table below is the policy of DESIGN.md's Roles section made explicit;
a change of behaviour or a new URL without a row here fails the suite.

Reading a row: the URL name, then one expectation per role in the order of ROLES (anonymous,
teacher, facilitator, building leader, district PD, HR, admin). Writes are checked twice: a write a
role may do must answer with success and change the database; a write it may not do must answer
with the refusal shown and leave every table as it was. Each write runs in a transaction that is
rolled back, so every role meets the same data. An API read is also made as the browsable API
(Accept: text/html) and, for the router's resources, at its ".json" route: same answer.

Expectations:
- a number: that status. For a write, 2xx and 302 mean "done, something was written", anything
  else means "refused, nothing written".
- LOGIN / ADMIN_LOGIN: a redirect to the site's (the admin's) login page; nothing written.
- KEPT: a redirect back with a message saying why not (e.g. a login with no staff record);
  nothing written.
- CODE_SENT: on to the page that takes a sign-in code, the mail with the code written.
- SAME: a redirect whose effect is on the session or outside the data (sign out; a password
  reset's mail and its throttle row); the database is not compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from plan import report_mail
from tests.factories import PASSWORD

from .world import (
    NEW_PERSON_ROW,
    ROLES,
    ROSTER_HEADER,
    World,
    changed_tables,
    fingerprint,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Expect:
    status: int
    login: str = ""  # "site" or "admin": the redirect goes to that login page
    writes: bool | None = None  # for a write: whether the database changes (None: not compared)
    label: str = ""

    def __repr__(self) -> str:
        return self.label or str(self.status)


LOGIN = Expect(302, login="site", writes=False, label="LOGIN")
ADMIN_LOGIN = Expect(302, login="admin", writes=False, label="ADMIN_LOGIN")
KEPT = Expect(302, writes=False, label="KEPT")
SAME = Expect(302, writes=None, label="SAME")
# A sign-in code mailed: on to the page that takes it, the code's mail (and the login the roster
# gives, if it had none) written.
CODE_SENT = Expect(302, login="site", writes=True, label="CODE_SENT")


def expect(value: int | Expect, *, write: bool) -> Expect:
    if isinstance(value, Expect):
        return value
    if not write:
        return Expect(value)
    return Expect(value, writes=value < 400)


Args = Callable[[World], list]
Data = Callable[[World, str], dict]


@dataclass
class Row:
    name: str
    args: Args = lambda w: []
    query: Callable[[World], str] | None = None
    get: tuple | None = None
    post: tuple | None = None
    patch: tuple | None = None
    delete: tuple | None = None
    data: Data = lambda w, role: {}
    format: str | None = None  # "json" for the API; None posts a form (multipart)
    variant: str = ""  # tells apart two rows of one URL name (e.g. a draft session)
    methods: dict = field(init=False)

    def __post_init__(self) -> None:
        self.methods = {
            method: columns
            for method, columns in (
                ("get", self.get),
                ("post", self.post),
                ("patch", self.patch),
                ("delete", self.delete),
            )
            if columns is not None
        }
        for method, columns in self.methods.items():
            assert len(columns) == len(ROLES), f"{self.name} {method}: one column per role"

    def url(self, w: World, suffix: str = "") -> str:
        if suffix:
            # The router's format-suffix route of the same name, e.g. /api/v1/strands.json.
            kwargs = dict(zip(("pk",), self.args(w), strict=False), format=suffix)
            return reverse(self.name, kwargs=kwargs)
        path = reverse(self.name, args=self.args(w))
        return f"{path}?{self.query(w)}" if self.query else path

    @property
    def key(self) -> str:
        return f"{self.name} ({self.variant})" if self.variant else self.name


def _o(attribute: str) -> Args:
    return lambda w: [getattr(w.o, attribute).pk]


def _roster_file(name: str = "roster.csv") -> SimpleUploadedFile:
    body = ROSTER_HEADER + NEW_PERSON_ROW
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


def _enroll_payload(w: World, role: str) -> dict:
    # A login without a staff record names whom it enrolls.
    return {"staff": w.o.peer.pk} if role == "admin" else {}


def _ratings(**extra) -> dict:
    return {"content_rating": 4, "facilitator_rating": 5, "relevance_rating": 3, **extra}


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _next_year(w: World) -> dict:
    starts = w.o.plan_year.ends_on + dt.timedelta(days=1)
    return {
        "name": "Next year",
        "starts_on": starts.isoformat(),
        "ends_on": (starts + dt.timedelta(days=300)).isoformat(),
    }


def _requirement(w: World, target: int = 80) -> dict:
    return {
        "kind": "course",
        "course": w.o.other_course.pk,
        "target_percent": target,
        "due_on": w.o.plan_year.ends_on.isoformat(),
    }


NEW_PASSWORD = "another-long-passphrase-42"

# fmt: off
# Columns, one per role:
#                                      anon   teach. facil. leader distPD hr     admin
ACCOUNTS = [
    Row("home",                   get=(302,   302,   302,   302,   302,   302,   302)),
    # Signed in, the sign-in page leads home; signing out asks first (a GET changes nothing).
    Row("login",                  get=(200,   302,   302,   302,   302,   302,   302)),
    Row("account_login",          get=(200,   302,   302,   302,   302,   302,   302)),
    Row("logout",                 get=(302,   200,   200,   200,   200,   200,   200),
                                  post=(SAME,  SAME,  SAME,  SAME,  SAME,  SAME,  SAME)),
    Row("account_logout",         get=(302,   200,   200,   200,   200,   200,   200)),
    Row("password_change",        get=(LOGIN, 200,   200,   200,   200,   200,   200),
                                  post=(LOGIN, 302,   302,   302,   302,   302,   302),
        data=lambda w, role: {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                              "new_password2": NEW_PASSWORD}),
    Row("password_change_done",   get=(LOGIN, 200,   200,   200,   200,   200,   200)),
    Row("password_reset",         get=(200,   200,   200,   200,   200,   200,   200),
                                  post=(SAME,  SAME,  SAME,  SAME,  SAME,  SAME,  SAME),
        data=lambda w, role: {"email": w.o.teacher.email}),
    Row("password_reset_done",    get=(200,   200,   200,   200,   200,   200,   200)),
    Row("password_reset_confirm", get=(200,   200,   200,   200,   200,   200,   200),
        args=lambda w: ["MQ", "set-password"]),
    Row("password_reset_complete", get=(200,  200,   200,   200,   200,   200,   200)),
    # allauth's names for pages the site keeps under its own: each leads there.
    Row("account_signup",         get=(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    Row("account_email",          get=(302,   302,   302,   302,   302,   302,   302)),
    Row("socialaccount_connections", get=(302, 302,  302,   302,   302,   302,   302)),
    Row("account_reset_password", get=(302,   302,   302,   302,   302,   302,   302)),
    Row("account_change_password", get=(302,  302,   302,   302,   302,   302,   302)),
    # Sign-in by code, a locked login, confirming who one is (allauth's pages).
    Row("account_inactive",       get=(200,   200,   200,   200,   200,   200,   200)),
    Row("account_request_login_code", get=(200, 302, 302,   302,   302,   302,   302),
                                  post=(CODE_SENT, KEPT, KEPT, KEPT,  KEPT,  KEPT,  KEPT),
        data=lambda w, role: {"email": w.o.teacher.email}),
    Row("account_confirm_login_code", get=(LOGIN, 302, 302, 302,   302,   302,   302)),
    Row("account_reauthenticate", get=(LOGIN, 200,   200,   200,   200,   200,   200)),
    Row("account_request_reauthentication_code", get=(LOGIN, 302, 302, 302, 302, 302, 302)),
    Row("account_confirm_reauthentication_code", get=(LOGIN, 302, 302, 302, 302, 302, 302)),
    # A second factor: one's own only.
    Row("mfa_index",              get=(LOGIN, 200,   200,   200,   200,   200,   200)),
    Row("mfa_authenticate",       get=(LOGIN, 302,   302,   302,   302,   302,   302)),
    Row("mfa_reauthenticate",     get=(LOGIN, 302,   302,   302,   302,   302,   302)),
    Row("mfa_activate_totp",      get=(LOGIN, 302,   302,   302,   302,   302,   302)),
    Row("mfa_deactivate_totp",    get=(LOGIN, 404,   404,   404,   404,   404,   404)),
    Row("mfa_view_recovery_codes", get=(LOGIN, 404,  404,   404,   404,   404,   404)),
    Row("mfa_generate_recovery_codes", get=(LOGIN, 302, 302, 302,   302,   302,   302)),
    Row("mfa_download_recovery_codes", get=(LOGIN, 404, 404, 404,   404,   404,   404)),
    Row("mfa_list_webauthn",      get=(LOGIN, 200,   200,   200,   200,   200,   200)),
    Row("mfa_add_webauthn",       get=(LOGIN, 302,   302,   302,   302,   302,   302)),
    Row("mfa_reauthenticate_webauthn", get=(LOGIN, 302, 302, 302,   302,   302,   302)),
    Row("mfa_remove_webauthn",    get=(LOGIN, 302,   302,   302,   302,   302,   302),
        args=lambda w: [999999]),
    Row("mfa_edit_webauthn",      get=(LOGIN, 302,   302,   302,   302,   302,   302),
        args=lambda w: [999999]),
    # One's own sessions.
    Row("usersessions_list",      get=(LOGIN, 200,   200,   200,   200,   200,   200)),
    # The identity providers' ends: with none configured, nothing answers.
    Row("socialaccount_login_cancelled", get=(200, 200, 200,   200,   200,   200,   200)),
    Row("socialaccount_login_error", get=(401, 401,  401,   401,   401,   401,   401)),
    Row("saml_login",             get=(404,   404,   404,   404,   404,   404,   404),
        args=lambda w: ["district"]),
    Row("saml_acs",               get=(302,   302,   302,   302,   302,   302,   302),
        args=lambda w: ["district"]),
    Row("saml_finish_acs",        get=(404,   404,   404,   404,   404,   404,   404),
        args=lambda w: ["district"]),
    Row("saml_metadata",          get=(404,   404,   404,   404,   404,   404,   404),
        args=lambda w: ["district"]),
    Row("saml_sls",               get=(404,   404,   404,   404,   404,   404,   404),
        args=lambda w: ["district"]),
    Row("district_oidc_login",    get=(404,   404,   404,   404,   404,   404,   404),
        args=lambda w: ["district"]),
    Row("district_oidc_callback", get=(404,   404,   404,   404,   404,   404,   404),
        args=lambda w: ["district"]),
]

# The catalog is public; a draft is a 404 to all but district PD (and its facilitators).
#                                      anon   teach. facil. leader distPD hr     admin
CATALOG = [
    Row("catalog:index",          get=(200,   200,   200,   200,   200,   200,   200)),
    Row("catalog:session",        get=(200,   200,   200,   200,   200,   200,   200),
        args=_o("s_enroll")),
    Row("catalog:session",        get=(404,   404,   404,   404,   200,   404,   200),
        args=_o("s_draft"), variant="draft"),
]

# A person's own learning: the participant pages act on oneself only.
#                                      anon   teach. facil. leader distPD hr     admin
PARTICIPANT = [
    Row("enrollment:me",          get=(LOGIN, 200,   200,   200,   200,   200,   200)),
    Row("enrollment:transcript",  get=(LOGIN, 200,   200,   200,   200,   200,   200)),
    Row("enrollment:transcript-xlsx", get=(LOGIN, 200, 200,  200,   200,   200,   200)),
    Row("enrollment:evaluation",  get=(LOGIN, 200,   404,   404,   404,   404,   404),
                                  post=(LOGIN, 302,   404,   404,   404,   404,   404),
        args=_o("e_teacher_past"), data=lambda w, role: _ratings()),
    Row("enrollment:enroll",      get=(405,   405,   405,   405,   405,   405,   405),
                                  post=(LOGIN, 302,   302,   302,   302,   302,   KEPT),
        args=_o("s_enroll")),
    # Self check-in: anyone signed in may try a code; it works only for their own meeting now.
    Row("enrollment:check-in",    get=(LOGIN, 200,   200,   200,   200,   200,   200),
                                  post=(LOGIN, 409,   409,   409,   409,   409,   404),
        data=lambda w, role: {"code": "K7Q2ZP"}),
    Row("enrollment:check-in-code", get=(LOGIN, 200, 200,   200,   200,   200,   200),
        args=lambda w: ["K7Q2ZP"]),
    # Outside learning: one's own; its evidence for its owner, district PD and administrators.
    Row("enrollment:outside",     get=(LOGIN, 200,   200,   200,   200,   200,   404),
                                  post=(LOGIN, 400,   400,   400,   400,   400,   404),
        data=lambda w, role: {"title": "A conference"}),
    Row("enrollment:outside-evidence", get=(LOGIN, 200, 404, 404,   200,   404,   200),
        args=_o("outside_teacher")),
    # GET asks first (what withdrawing gives up); POST withdraws.
    Row("enrollment:withdraw",    get=(LOGIN, 200,   404,   404,   404,   404,   404),
                                  post=(LOGIN, 302,   404,   404,   404,   404,   404),
        args=_o("e_withdraw")),
    Row("enrollment:certificate", get=(LOGIN, 200,   404,   200,   200,   200,   200),
        args=_o("c_teacher")),
    Row("enrollment:certificate-pdf", get=(LOGIN, 200, 404,   200,   200,   200,   200),
        args=_o("c_teacher")),
    Row("enrollment:verify-lookup", get=(200, 200,   200,   200,   200,   200,   200)),
    Row("enrollment:verify",      get=(200,   200,   200,   200,   200,   200,   200),
        args=lambda w: [w.o.c_teacher.verification_code]),
]

# A session's facilitators and district PD run its roster and attendance.
#                                      anon   teach. facil. leader distPD hr     admin
FACILITATOR = [
    Row("enrollment:teaching",    get=(LOGIN, 200,   200,   200,   200,   200,   404)),
    Row("enrollment:roster",      get=(LOGIN, 404,   200,   404,   200,   404,   200),
        args=_o("s_past")),
    Row("enrollment:attendance",  get=(LOGIN, 404,   200,   404,   200,   404,   200),
                                  post=(LOGIN, 404,   302,   404,   302,   404,   302),
        args=lambda w: [w.o.s_past.pk, w.o.past_meeting.pk],
        data=lambda w, role: {"roster": str(w.o.e_teacher_past.pk),
                              "present": [w.o.e_teacher_past.pk]}),
    Row("enrollment:signin-sheet", get=(LOGIN, 404,  200,   404,   200,   404,   200),
        args=_o("s_past")),
    Row("enrollment:check-in-screen", get=(LOGIN, 404, 200,  404,   200,   404,   200),
        args=lambda w: [w.o.s_past.pk, w.o.past_meeting.pk]),
]

# Building leaders (for their buildings' staff) and district PD assign and approve.
#                                      anon   teach. facil. leader distPD hr     admin
LEADERS = [
    Row("enrollment:assign",      get=(LOGIN, 404,   404,   200,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   200,   200,   404,   200),
        args=_o("s_enroll"),
        data=lambda w, role: {"people": [w.o.teacher.pk], "confirm": "on"}),
    Row("enrollment:outside-review", get=(LOGIN, 404, 404,   404,   200,   404,   200)),
    Row("enrollment:outside-approve", get=(LOGIN, 405, 405,   405,   405,   405,   405),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        args=_o("outside_teacher")),
    Row("enrollment:outside-decline", get=(LOGIN, 405, 405,   405,   405,   405,   405),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        args=_o("outside_teacher"), data=lambda w, role: {"reason": "No agenda attached."}),
    Row("enrollment:approvals",   get=(LOGIN, 404,   404,   200,   200,   404,   200)),
    Row("enrollment:approvals-decide", get=(LOGIN, 405, 405,   405,   405,   405,   405),
                                  post=(LOGIN, 404,   404,   302,   302,   404,   302),
        data=lambda w, role: {"decision": "decline", "reason": "No cover.",
                              "enrollments": [w.o.e_pending.pk]}),
    Row("enrollment:approve",     get=(LOGIN, 405,   405,   405,   405,   405,   405),
                                  post=(LOGIN, 404,   404,   302,   302,   404,   302),
        args=_o("e_pending")),
    Row("enrollment:decline",     get=(LOGIN, 405,   405,   405,   405,   405,   405),
                                  post=(LOGIN, 404,   404,   302,   302,   404,   302),
        args=_o("e_pending"), data=lambda w, role: {"reason": "Not this term."}),
]

# Reports: building leaders and district PD read them; only district PD edits the plan.
#                                      anon   teach. facil. leader distPD hr     admin
REPORTS = [
    Row("leaders:dashboard",      get=(LOGIN, 404,   404,   200,   200,   404,   200)),
    Row("leaders:start",          get=(LOGIN, 404,   404,   200,   200,   404,   200)),
    Row("leaders:people",         get=(LOGIN, 404,   404,   200,   200,   404,   200)),
    Row("leaders:outstanding",    get=(LOGIN, 404,   404,   200,   200,   404,   200)),
    Row("leaders:workbook",       get=(LOGIN, 404,   404,   200,   200,   404,   200)),
    Row("leaders:outstanding-csv", get=(LOGIN, 404,  404,   200,   200,   404,   200)),
    Row("leaders:workbook-prepare", get=(LOGIN, 405, 405,   405,   405,   405,   405),
                                  post=(LOGIN, 404,   404,   302,   302,   404,   302)),
    Row("leaders:plan",           get=(LOGIN, 404,   404,   200,   200,   404,   200)),
    Row("leaders:subscriptions",  get=(LOGIN, 404,   404,   200,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   302,   302,   404,   302),
        data=lambda w, role: {"frequency": "monthly", "query": ""}),
    Row("leaders:subscription-stop", get=(LOGIN, 405, 405,   405,   405,   405,   405),
                                  post=(LOGIN, 404,   404,   302,   404,   404,   404),
        args=lambda w: [w.o.leader_subscription.pk]),
    # The signed link in the mail: it is the credential, with or without a sign-in.
    Row("leaders:subscription-unsubscribe",
                                  get=(200,   200,   200,   200,   200,   200,   200),
                                  post=(200,   200,   200,   200,   200,   200,   200),
        args=lambda w: [report_mail.unsubscribe_token(w.o.leader_subscription)]),
    Row("leaders:year-new",       get=(LOGIN, 404,   404,   404,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        query=lambda w: f"plan={w.o.plan.pk}", data=lambda w, role: _next_year(w)),
    Row("leaders:year-edit",      get=(LOGIN, 404,   404,   404,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        args=_o("plan_year"),
        data=lambda w, role: {"name": "Renamed", "starts_on": w.o.plan_year.starts_on,
                              "ends_on": w.o.plan_year.ends_on}),
    Row("leaders:goal-new",       get=(LOGIN, 404,   404,   404,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        query=lambda w: f"plan_year={w.o.plan_year.pk}",
        data=lambda w, role: {"plan_year": w.o.plan_year.pk, "title": "A new goal", "order": 5}),
    Row("leaders:goal-edit",      get=(LOGIN, 404,   404,   404,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        args=_o("goal"),
        data=lambda w, role: {"plan_year": w.o.plan_year.pk, "title": "Renamed", "order": 1}),
    Row("leaders:goal-delete",    get=(LOGIN, 404,   404,   404,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        args=_o("goal")),
    Row("leaders:requirement-new", get=(LOGIN, 404,  404,   404,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        query=lambda w: f"goal={w.o.goal.pk}", data=lambda w, role: _requirement(w)),
    Row("leaders:requirement-edit", get=(LOGIN, 404, 404,   404,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        args=_o("requirement"), data=lambda w, role: {**_requirement(w, 75),
                                                       "course": w.o.course.pk}),
    Row("leaders:requirement-delete", get=(LOGIN, 404, 404, 404,   200,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   302,   404,   302),
        args=_o("requirement")),
]

# Feeds are capability URLs (the key is the permission) or public (the catalog); the
# subscription settings are each person's own.
#                                      anon   teach. facil. leader distPD hr     admin
CALENDARS = [
    Row("calendars:feed",         get=(200,   200,   200,   200,   200,   200,   200),
        args=lambda w: [w.o.teacher_feed_key]),
    Row("calendars:feed",         get=(404,   404,   404,   404,   404,   404,   404),
        args=lambda w: ["x" * 43], variant="unknown key"),
    Row("calendars:catalog",      get=(200,   200,   200,   200,   200,   200,   200)),
    Row("calendars:session",      get=(200,   200,   200,   200,   200,   200,   200),
        args=_o("s_enroll")),
    Row("calendars:session",      get=(404,   404,   404,   404,   200,   404,   200),
        args=_o("s_draft"), variant="draft"),
    Row("calendars:delivery",     get=(405,   405,   405,   405,   405,   405,   405),
                                  post=(LOGIN, 302,   302,   302,   302,   302,   KEPT),
        data=lambda w, role: {"delivery": "invitations"}),
    Row("calendars:rotate",       get=(LOGIN, 200,   200,   200,   200,   200,   302),
                                  post=(LOGIN, 302,   302,   302,   302,   302,   KEPT)),
    Row("calendars:revoke",       get=(LOGIN, 200,   200,   200,   200,   200,   302),
                                  post=(LOGIN, 302,   302,   302,   302,   302,   KEPT)),
]

# Imports and the audit history: nobody but HR and admins sees imports; district PD and admins
# read a person's history.
#                                      anon   teach. facil. leader distPD hr     admin
IMPORTS_AUDIT = [
    Row("hr:start",               get=(LOGIN, 404,   404,   404,   404,   200,   200)),
    Row("hr:staff",               get=(LOGIN, 404,   404,   404,   404,   200,   200)),
    Row("imports:index",          get=(LOGIN, 404,   404,   404,   404,   200,   200),
                                  post=(LOGIN, 404,   404,   404,   404,   302,   302),
        data=lambda w, role: {"file": _roster_file(), "kind": "roster"}),
    Row("imports:run",            get=(LOGIN, 404,   404,   404,   404,   200,   200),
        args=_o("run_ok")),
    Row("imports:commit",         get=(LOGIN, 405,   405,   405,   405,   405,   405),
                                  post=(LOGIN, 404,   404,   404,   404,   302,   302),
        args=_o("run_ok")),
    Row("imports:template",       get=(LOGIN, 404,   404,   404,   404,   200,   200),
        args=lambda w: ["roster", "xlsx"]),
    Row("imports:errors",         get=(LOGIN, 404,   404,   404,   404,   200,   200),
        args=lambda w: [w.o.run_errors.pk, "csv"]),
    Row("jobs:job",               get=(LOGIN, 404,   404,   404,   404,   200,   404),
        args=_o("hr_job")),
    Row("jobs:state",             get=(LOGIN, 404,   404,   404,   404,   200,   404),
        args=_o("hr_job")),
    Row("jobs:file",              get=(LOGIN, 404,   404,   404,   404,   200,   404),
        args=_o("hr_job")),
    Row("backups:export",         get=(LOGIN, 404,   404,   404,   404,   404,   200),
                                  post=(LOGIN, 404,   404,   404,   404,   404,   302)),
    Row("health:live",            get=(200,   200,   200,   200,   200,   200,   200)),
    Row("health:ready",           get=(200,   200,   200,   200,   200,   200,   200)),
    Row("audit:staff-history",    get=(LOGIN, 404,   404,   404,   200,   200,   200),
        args=_o("teacher")),
    # Someone's transcript: the person, their building leaders, district PD (HR keeps records
    # but reads no one's learning).
    Row("enrollment:staff-transcript", get=(LOGIN, 200, 404, 200,  200,   404,   200),
        args=_o("teacher")),
]

# The API. Anonymous clients read the public catalog and nothing else (403, as the API answers
# without a login). Read-only resources answer 405 to writes.
#                                      anon   teach. facil. leader distPD hr     admin
API = [
    Row("api-root",               get=(200,   200,   200,   200,   200,   200,   200)),
    Row("api-docs",               get=(200,   200,   200,   200,   200,   200,   200)),
    Row("strand-list",            get=(200,   200,   200,   200,   200,   200,   200),
                                  post=(405,   405,   405,   405,   405,   405,   405)),
    Row("strand-detail",          get=(200,   200,   200,   200,   200,   200,   200),
                                  patch=(405,  405,   405,   405,   405,   405,   405),
                                  delete=(405, 405,   405,   405,   405,   405,   405),
        args=_o("strand")),
    Row("course-list",            get=(200,   200,   200,   200,   200,   200,   200),
                                  post=(405,   405,   405,   405,   405,   405,   405)),
    Row("course-detail",          get=(200,   200,   200,   200,   200,   200,   200),
                                  patch=(405,  405,   405,   405,   405,   405,   405),
                                  delete=(405, 405,   405,   405,   405,   405,   405),
        args=_o("course")),
    Row("building-list",          get=(200,   200,   200,   200,   200,   200,   200),
                                  post=(405,   405,   405,   405,   405,   405,   405)),
    Row("building-detail",        get=(200,   200,   200,   200,   200,   200,   200),
                                  patch=(405,  405,   405,   405,   405,   405,   405),
                                  delete=(405, 405,   405,   405,   405,   405,   405),
        args=_o("x")),
    Row("session-list",           get=(200,   200,   200,   200,   200,   200,   200),
                                  post=(405,   405,   405,   405,   405,   405,   405)),
    Row("session-detail",         get=(200,   200,   200,   200,   200,   200,   200),
                                  patch=(405,  405,   405,   405,   405,   405,   405),
                                  delete=(405, 405,   405,   405,   405,   405,   405),
        args=_o("s_enroll")),
    Row("session-detail",         get=(404,   404,   404,   404,   200,   404,   200),
        args=_o("s_draft"), variant="draft"),
    Row("session-enroll",         get=(403,   405,   405,   405,   405,   405,   405),
                                  post=(403,   201,   201,   201,   201,   201,   201),
        args=_o("s_enroll"), data=_enroll_payload),
    Row("session-attendance",     post=(403,   404,   200,   404,   200,   404,   200),
        args=_o("s_past"),
        data=lambda w, role: {"meeting": w.o.past_meeting.pk,
                              "records": [{"enrollment": w.o.e_teacher_past.pk,
                                           "present": True}]}),
    Row("session-evaluation-summary", get=(403, 404, 200,   404,   200,   404,   200),
        args=_o("s_past")),
    Row("session-eligibility",    get=(403,   200,   200,   200,   200,   200,   404),
                                  post=(403,   405,   405,   405,   405,   405,   405),
        args=_o("s_enroll")),
    Row("me-transcript",          get=(403,   200,   200,   200,   200,   200,   404)),
    Row("progress",               get=(403,   403,   403,   200,   200,   403,   200)),
    Row("progress-people",        get=(403,   403,   403,   200,   200,   403,   200)),
    Row("progress-seats",         get=(403,   403,   403,   200,   200,   403,   200)),
    Row("progress-workbook",      get=(403,   403,   403,   200,   200,   403,   200)),
    Row("progress-outstanding-csv", get=(403, 403,   403,   200,   200,   403,   200)),
    Row("enrollment-list",        get=(403,   200,   200,   200,   200,   200,   200)),
    Row("enrollment-detail",      get=(403,   200,   200,   200,   200,   404,   200),
                                  patch=(403,  405,   405,   405,   405,   405,   405),
                                  delete=(403, 405,   405,   405,   405,   405,   405),
        args=_o("e_teacher_past")),
    Row("enrollment-assign",      post=(403,   404,   404,   200,   200,   404,   200),
        data=lambda w, role: {"session": w.o.s_enroll.pk, "staff": [w.o.teacher.pk]}),
    Row("enrollment-approve",     post=(403,   404,   404,   200,   200,   404,   200),
        args=_o("e_pending")),
    Row("enrollment-decline",     post=(403,   404,   404,   200,   200,   404,   200),
        args=_o("e_pending"), data=lambda w, role: {"reason": "Not this term."}),
    Row("enrollment-withdraw",    post=(403,   200,   404,   200,   200,   404,   200),
        args=_o("e_withdraw")),
    Row("completion-list",        get=(403,   200,   200,   200,   200,   200,   200),
                                  post=(403,   403,   403,   403,   201,   403,   201),
        data=lambda w, role: {"staff": w.o.teacher.pk, "course": w.o.other_course.code,
                              "completed_on": _day(-5), "evidence": "Agenda and sign-in"}),
    Row("completion-detail",      get=(403,   200,   404,   200,   200,   200,   200),
                                  patch=(403,  405,   405,   405,   405,   405,   405),
                                  delete=(403, 405,   405,   405,   405,   405,   405),
        args=_o("c_teacher")),
    Row("completion-void",        post=(403,   403,   403,   403,   200,   403,   200),
        args=_o("c_teacher"), data=lambda w, role: {"reason": "Recorded twice."}),
    Row("evaluation-list",        get=(403,   200,   200,   200,   200,   200,   200),
                                  post=(403,   201,   404,   404,   404,   404,   404),
        data=lambda w, role: _ratings(enrollment=w.o.e_teacher_past.pk)),
    Row("import-run-list",        get=(403,   200,   200,   200,   200,   200,   200),
                                  post=(403,   403,   403,   403,   403,   201,   201),
        format="multipart", data=lambda w, role: {"file": _roster_file(), "kind": "roster"}),
    Row("import-run-detail",      get=(403,   404,   404,   404,   404,   200,   200),
        args=_o("run_ok")),
    Row("import-run-commit",      post=(403,   404,   404,   404,   404,   200,   200),
        args=_o("run_ok")),
    Row("staff-list",             get=(403,   403,   403,   403,   403,   200,   200)),
    Row("staff-detail",           get=(403,   403,   403,   403,   403,   200,   200),
        args=_o("teacher")),
    Row("job-list",               get=(403,   200,   200,   200,   200,   200,   200)),
    Row("job-detail",             get=(403,   404,   404,   404,   404,   200,   404),
        args=_o("hr_job")),
]

# The admin, as a group: its index and a few changelists, django-axes' among them, and one
# write. Only superusers (is_staff) get in; everyone else is sent to the admin's login page.
# Inside it, the fields that grant access are tried for every role in test_access_fields.py.
ADMIN_PAGES = [
    Row(f"admin:{name}",          get=(ADMIN_LOGIN,) * 6 + (200,))
    for name in (
        "index",
        "learning_staffmember_changelist",
        "enrollment_completion_changelist",
        "imports_importrun_changelist",
        "audit_auditentry_changelist",
        "axes_accessattempt_changelist",
        "axes_accessfailurelog_changelist",
        "axes_accesslog_changelist",
    )
] + [
    Row("admin:enrollment_completion_change", get=(ADMIN_LOGIN,) * 6 + (200,),
        post=(ADMIN_LOGIN,) * 6 + (302,), args=lambda w: [w.o.c_teacher.pk],
        data=lambda w, role: {"completed_on": _day(-1), "clock_hours": "9.00",
                              "evidence": "edited", "void_reason": ""}),
    Row("admin:auth_group_add",   get=(ADMIN_LOGIN,) * 6 + (200,),
        post=(ADMIN_LOGIN,) * 6 + (302,), data=lambda w, role: {"name": "Coaches"}),
]
# fmt: on

API_ROWS = {row.key for row in API}
MATRIX = ACCOUNTS + CATALOG + PARTICIPANT + FACILITATOR + LEADERS + REPORTS + CALENDARS
MATRIX += IMPORTS_AUDIT + API + ADMIN_PAGES

# URL patterns with no row, and why.
NOT_IN_MATRIX = {
    "api-schema": "the OpenAPI document is public and describes no data; tests/api covers it "
    "and generating it for every role would cost seconds",
}
# The admin's own routes (add, change, delete and history of every model) follow one rule, the
# admin site's is_staff check, which the ADMIN_PAGES rows prove for a sample of them.
GROUPED_NAMESPACES = {"admin"}


BROWSABLE = {"Accept": "text/html"}


def _is_api(row: Row) -> bool:
    return row.key in API_ROWS


def _outcome(response, wanted: Expect) -> str:
    """What came back, in the terms of the table."""
    if response.status_code != 302:
        return str(response.status_code)
    location = response.get("Location", "")
    if location.startswith(reverse("admin:login")):
        return "ADMIN_LOGIN"
    if location.startswith(resolve_url(settings.LOGIN_URL)):
        return "LOGIN"
    return "302"


def _matches(outcome: str, wanted: Expect) -> bool:
    if wanted.login == "admin":
        return outcome == "ADMIN_LOGIN"
    if wanted.login == "site":
        return outcome == "LOGIN"
    if wanted.status == 302:
        return outcome == "302"
    return outcome == str(wanted.status)


def _request(client, role: str, row: Row, method: str, w: World, headers: dict):
    if method == "get":
        return client.get(row.url(w, suffix=headers.pop("suffix", "")), headers=headers)
    if _is_api(row):
        fmt = row.format or "json"
        return getattr(client, method)(row.url(w), row.data(w, role), format=fmt)
    return getattr(client, method)(row.url(w), row.data(w, role))


def _check(
    client, role: str, row: Row, method: str, wanted: Expect, w: World, headers=None
) -> str | None:
    shown = ", ".join(f"{name} {value}" for name, value in (headers or {}).items())
    label = f"{role} {method.upper()}{f' ({shown})' if shown else ''} {row.key}"
    write = method != "get"
    with transaction.atomic():
        before = fingerprint() if write and wanted.writes is not None else None
        try:
            response = _request(client, role, row, method, w, headers or {})
        except Exception as error:  # a 500: reported with the other mismatches
            transaction.set_rollback(True)
            return f"{label}: raised {error!r}"
        changed = changed_tables(before, fingerprint()) if before is not None else None
        transaction.set_rollback(True)
    outcome = _outcome(response, wanted)
    problems = []
    if not _matches(outcome, wanted):
        problems.append(f"answered {outcome}, expected {wanted!r}")
    if changed is not None:
        if wanted.writes and not changed:
            problems.append("wrote nothing")
        elif not wanted.writes and changed:
            problems.append(f"wrote to {', '.join(changed)}")
    if problems:
        return f"{label}: {'; '.join(problems)}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_each_role_as_the_matrix_says(world, role):
    client = APIClient()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    mismatches = []
    for row in MATRIX:
        for method, columns in row.methods.items():
            wanted = expect(columns[ROLES.index(role)], write=method != "get")
            problem = _check(client, role, row, method, wanted, world)
            if problem:
                mismatches.append(problem)
            if method == "get" and _is_api(row):
                # The browsable API renders the same answer as HTML, with forms of its own; a
                # router's ".json" route is the same view under another URL.
                variants = [dict(BROWSABLE)]
                if row.name.endswith(("-list", "-detail")):
                    variants.append({"suffix": "json"})
                for headers in variants:
                    problem = _check(client, role, row, method, wanted, world, headers)
                    if problem:
                        mismatches.append(problem)
            if user is not None and method != "get" and "_auth_user_id" not in client.session:
                # Signing out or a new password gave the client a new session, rolled back.
                client.force_login(user)
    assert not mismatches, "\n".join(mismatches)


def _patterns(resolver: URLResolver, namespace: str = ""):
    """(namespaced name, route) of every URL pattern, through every include."""
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            for name, route in _patterns(pattern, inner):
                yield name, f"{pattern.pattern}{route}"
        elif isinstance(pattern, URLPattern):
            name = pattern.name or ""
            yield (f"{namespace}:{name}" if namespace else name), str(pattern.pattern)


def urls_without_a_row() -> list[str]:
    """Every URL pattern of the site (through every include) that neither has a row, nor is
    exempted, nor belongs to a namespace covered as a group."""
    in_matrix = {row.name for row in MATRIX}
    missing = []
    for name, route in _patterns(get_resolver()):
        if name.split(":")[0] in GROUPED_NAMESPACES:
            continue
        # The router's format-suffix routes (".json") share their name, and so their row.
        if name not in in_matrix and name not in NOT_IN_MATRIX:
            missing.append(f"{route} (name {name or 'none'})")
    return missing


def test_every_url_pattern_has_a_row_in_the_matrix():
    names = {name for name, _route in _patterns(get_resolver())}
    # The walk reaches the router's routes, namespaced includes and the admin's.
    assert {"strand-list", "enrollment-approve", "calendars:feed", "admin:index"} <= names
    assert set(NOT_IN_MATRIX) <= names, "a stale exemption"
    missing = urls_without_a_row()
    assert not missing, "URLs without a row in the permission matrix:\n" + "\n".join(missing)


@pytest.mark.urls("tests.permissions.urls_with_a_new_page")
def test_a_new_url_without_a_row_is_caught():
    assert urls_without_a_row() == ["reports/new/ (name new-report)"]


def test_every_row_of_the_matrix_names_a_url(world):
    for row in MATRIX:
        assert row.url(world).startswith("/"), row.key
    assert len({row.key for row in MATRIX}) == len(MATRIX), "one row per URL name and variant"
