"""WCAG 2.1 AA in Chromium: axe-core runs on every page of the site as each role that can see it,
error states included, and on the Django admin (/admin/) as each role that signs in there, and
allows no serious or critical violation; a teacher enrolls and a facilitator takes attendance with
the keyboard alone, with the focus visible all the way.

axe-core comes from the npm registry: tests/browser/axe/ pins it (package.json and its lockfile)
and the `axe_source` fixture runs `npm ci` there when it is not installed. The pages forbid inline
scripts, so the contexts that inject axe bypass the Content-Security-Policy; the policy itself is
tested in test_security_browser.py."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Browser, Page, expect

from audit.models import AuditEntry
from catalog.choices import SessionStatus
from catalog.models import Course, Meeting, Session
from enrollment.choices import EnrollmentSource, EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment
from imports.models import ImportRun
from learning.models import Goal, Plan, PlanYear, Requirement, StaffMember
from tests.browser.conftest import in_ci
from tests.factories import (
    PASSWORD,
    CourseFactory,
    EnrollmentFactory,
    ImportRunFactory,
    MeetingFactory,
    SessionFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

AXE_DIR = Path(__file__).parent / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# The rules of WCAG 2.0 and 2.1, levels A and AA.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
DEMO_PASSWORD = "better-together"
ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, "teacher", "facilitator", "leader", "districtpd", "hr", "admin"]
# Paths the error templates are served at (by the browser itself, see `error_page`): 500 and
# 503 are rendered when the application or its database fails, which a page cannot ask for.
ERROR_PAGE_PATH = "/__error-page__/{status}/"
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(' ')),
  }));
}"""


# -- axe-core from the npm registry ---------------------------------------------------------------


def _pinned_axe_version() -> str:
    return json.loads((AXE_DIR / "package.json").read_text())["dependencies"]["axe-core"]


def _installed_axe_version() -> str | None:
    manifest = AXE_DIR / "node_modules" / "axe-core" / "package.json"
    if not (manifest.exists() and AXE_SCRIPT.exists()):
        return None
    return json.loads(manifest.read_text())["version"]


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js of the version pinned in tests/browser/axe/, installed there by `npm ci`
    (from the lockfile, integrity checked) when missing or another version."""
    pinned = _pinned_axe_version()
    if _installed_axe_version() != pinned:
        npm = shutil.which("npm")
        if npm is None:
            # As with Chromium: a reason to skip locally, a failure in CI.
            missing = (
                "npm is not installed, so axe-core cannot be installed for the accessibility "
                f"tests: install Node.js and npm, or run `npm ci` in {AXE_DIR}."
            )
            if in_ci():
                pytest.fail(missing)
            pytest.skip(missing)
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=AXE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0 or _installed_axe_version() != pinned:
            pytest.fail(
                f"`npm ci` in {AXE_DIR} failed (exit {result.returncode}), so axe-core "
                f"{pinned} is not installed for the accessibility tests:\n"
                f"{result.stderr[-3000:] or result.stdout[-3000:]}"
            )
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Page, axe_source: str) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    return page.evaluate(RUN_AXE, WCAG_21_AA)


# -- the pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One page state to check: `open` brings the page there and returns its HTTP status."""

    name: str
    open: Callable[[Page], int]
    statuses: tuple[int, ...] = (200,)
    # An error state: the page must show its error summary.
    shows_errors: bool = False
    # Where the page summarises its errors (the admin's own pages use .errornote).
    error_summary: str = ".error-summary"


def visit(path: str, status: int = 200, ready: str = "") -> Step:
    def open_page(page: Page) -> int:
        response = page.goto(path)
        if ready:
            page.locator(ready).first.wait_for(timeout=20_000)
        return response.status

    return Step(path, open_page, (status,))


def check_in_screen_in(path: str, state: str) -> Step:
    """The check-in screen in each of its states, whatever the time of day the walk runs: its
    meeting is today, so whether check-in is open would otherwise depend on the clock."""
    # Open from two days before the meeting to two days after; or opening two days after it.
    opens, closes = {"open": (48 * 60, 48 * 60), "not yet open": (-48 * 60, 72 * 60)}[state]

    def open_page(page: Page) -> int:
        with override_settings(
            CHECK_IN_OPENS_MINUTES_BEFORE=opens, CHECK_IN_CLOSES_MINUTES_AFTER=closes
        ):
            response = page.goto(path)
            page.locator("#check-in-live").wait_for()
            showing = page.locator(".check-in-screen__qr svg").count() > 0
        assert showing == (state == "open"), f"the check-in screen is not {state}"
        return response.status

    return Step(f"{path} ({state})", open_page)


def with_errors(path: str) -> Step:
    """A page whose query the page refuses: its error state (a 200 or a 400)."""
    return Step(f"{path} (errors shown)", visit(path).open, (200, 400), shows_errors=True)


def submit(
    path: str,
    form: str,
    *,
    fill: Callable[[Page], None] | None = None,
    statuses: tuple[int, ...] = (200, 400),
    name: str = "",
) -> Step:
    """The page after posting its form (`form`, a CSS selector) as filled by `fill`, by default
    empty: an error state, unless a name says otherwise."""

    def open_page(page: Page) -> int:
        page.goto(path)
        if fill:
            fill(page)
        with page.expect_navigation() as navigation:
            page.locator(form).locator("[type=submit]").first.click()
        return navigation.value.status

    return Step(name or f"{path} (submitted: errors shown)", open_page, statuses, not name)


def assigned_after_preview(path: str) -> Step:
    """The results of an assignment: a person chosen, the preview read, the assignment
    confirmed."""

    def open_page(page: Page) -> int:
        page.goto(path)
        page.locator("input[name=people]").first.check()
        with page.expect_navigation():
            page.locator("form.assign-form [type=submit]").first.click()
        with page.expect_navigation() as navigation:
            page.locator("form.assign-confirm [type=submit]").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Assignment results")
        return navigation.value.status

    return Step(f"{path} (assigned: the results)", open_page)


def error_page(status: int, template: str = "", context: dict | None = None) -> Step:
    template = template or f"{status}.html"

    def open_page(page: Page) -> int:
        # No request can make the live server fail on purpose; the browser is handed the
        # template as the server renders it, at a path of the site, so its styles load.
        path = ERROR_PAGE_PATH.format(status=status)
        body = render_to_string(template, context or {})
        page.route(
            f"**{path}",
            lambda route: route.fulfill(status=status, body=body, content_type="text/html"),
        )
        return page.goto(path).status

    return Step(template, open_page, (status,))


def api_docs_opened() -> Step:
    """The API docs with two operations opened, one of them ready to try out."""

    def open_page(page: Page) -> int:
        response = page.goto("/api/docs/")
        toggles = page.locator(".swagger-ui .opblock-summary-control")
        toggles.first.wait_for(timeout=20_000)
        toggles.nth(0).click()
        toggles.nth(1).click()
        page.locator(".swagger-ui .try-out__btn").first.click()
        page.locator(".swagger-ui .btn.execute").first.wait_for()
        return response.status

    return Step("/api/docs/ (operations opened, try it out)", open_page)


def failed_sign_ins(username: str) -> Step:
    """Wrong passwords until the sign-in locks out: the locked-out page."""

    def open_page(page: Page) -> int:
        status = 0
        for _ in range(settings.AXES_FAILURE_LIMIT):
            page.goto("/accounts/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill("not-the-password")
            with page.expect_navigation() as navigation:
                page.get_by_role("button", name=re.compile("sign in", re.I)).click()
            status = navigation.value.status
        return status

    return Step("/accounts/login/ (locked out)", open_page, (429,))


def no_csrf_token(path: str, form: str) -> Step:
    """A form posted without its CSRF token (an expired page): the CSRF failure page."""

    def open_page(page: Page) -> int:
        page.goto(path)
        page.locator(f"{form} input[name=csrfmiddlewaretoken]").evaluate("e => e.remove()")
        page.context.clear_cookies()
        with page.expect_navigation() as navigation:
            page.locator(form).locator("[type=submit]").first.click()
        return navigation.value.status

    return Step(f"{path} (posted without a CSRF token)", open_page, (403,))


def _roster_csv(directory: Path) -> Path:
    known = list(
        StaffMember.objects.filter(building__isnull=False, position__isnull=False)
        .select_related("building", "position")
        .order_by("pk")[:2]
    )
    path = directory / "roster.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Employee ID", "First Name", "Last Name", "Email", "Building", "Position"])
        for person in known:
            writer.writerow(
                [
                    person.employee_id,
                    person.first_name,
                    person.last_name,
                    person.email,
                    person.building.code,
                    person.position.code,
                ]
            )
        writer.writerow(
            [
                "A11Y-0001",
                "Zoë",
                "O'Brien",
                "zoe.obrien@example.org",
                known[0].building.code,
                known[0].position.code,
            ]
        )
    return path


def pages_by_role(tmp_path: Path) -> dict[str, list[Step]]:
    """Every HTML page of the site in the demo's data, per role that can see it, with the
    error state of each form."""
    now = timezone.now()
    teacher = StaffMember.objects.get(user__username="teacher")
    leader = StaffMember.objects.get(user__username="leader")
    upcoming = Session.objects.filter(
        status=SessionStatus.PUBLISHED, meetings__starts_at__gt=now
    ).distinct()
    open_session = upcoming.exclude(enrollments__staff__in=[teacher, leader]).order_by("pk")[0]
    enrolled = Enrollment.objects.filter(
        staff=teacher, status=EnrollmentStatus.ENROLLED, session__in=upcoming
    ).order_by("pk")[0]
    unevaluated = (
        Enrollment.objects.filter(staff=teacher, evaluation__isnull=True).order_by("pk").first()
        or enrolled
    )
    completion = Completion.objects.filter(staff=teacher, voided_at__isnull=True).order_by("pk")[0]
    # A past meeting of a session the demo facilitator leads: its attendance can be taken.
    meeting = (
        Meeting.objects.filter(
            session__facilitators__user__username="facilitator",
            starts_at__lt=now,
            session__enrollments__status__in=[
                EnrollmentStatus.ENROLLED,
                EnrollmentStatus.COMPLETED,
                EnrollmentStatus.INCOMPLETE,
            ],
        )
        .order_by("-starts_at")
        .first()
    )
    facilitated = meeting.session
    attendance = f"/sessions/{facilitated.pk}/meetings/{meeting.pk}/attendance/"
    plan = Plan.objects.order_by("pk")[0]
    year = PlanYear.objects.filter(plan=plan).order_by("pk")[0]
    goal = Goal.objects.filter(plan_year__plan=plan).order_by("pk")[0]
    requirement = Requirement.objects.filter(goal__plan_year__plan=plan).order_by("pk")[0]
    history = f"/staff/{teacher.pk}/history/"
    leaders_only = upcoming.filter(course__code="dei-201").order_by("pk")[0]
    rp_requirement = Requirement.objects.filter(
        goal__plan_year__plan=plan, course__code="rp-101", due_on__gte=now.date()
    ).order_by("due_on")[0]
    # Any session of the course will do, upcoming or not, whatever the day the walk runs.
    rp_session = Session.objects.filter(course__code="rp-101").order_by("pk")[0]
    rp_assign = f"/sessions/{rp_session.pk}/assign/?requirement={rp_requirement.pk}"
    today_meeting = Meeting.objects.get(session__title="Drop-in circle lab")
    check_in_screen = f"/sessions/{today_meeting.session_id}/meetings/{today_meeting.pk}/check-in/"
    # A change for the history page to list: the demo is written in bulk, which records none.
    teacher.managed_manually = not teacher.managed_manually
    teacher.save(update_fields=["managed_manually"])

    # The demo teacher's own reset link, as the mail would carry it (it opens the new-password
    # form; nothing here sets a password, so it keeps working for every step).
    reset_link = reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(teacher.user.pk)),
            default_token_generator.make_token(teacher.user),
        ],
    )

    def mismatched_passwords(page: Page) -> None:
        page.get_by_label("New password", exact=True).fill("violet-harbour-quietly-73")
        page.get_by_label("New password confirmation").fill("something-else-entirely-42")

    def no_browser_validation(form: str) -> Callable[[Page], None]:
        return lambda page: page.locator(form).evaluate("form => { form.noValidate = true; }")

    def tamper_roster(page: Page) -> None:
        page.locator("input[name=roster]").evaluate("e => { e.value = 'not-a-roster'; }")

    def choose_roster(page: Page) -> None:
        page.locator("#id_file").set_input_files(_roster_csv(tmp_path))

    def reports(people_query: str = "") -> list[Step]:
        return [
            visit("/leaders/"),
            with_errors("/leaders/?as_of=not-a-date"),
            visit(f"/leaders/people/{people_query}"),
            visit(f"/leaders/outstanding/{people_query}"),
            visit("/leaders/plan/"),
            visit("/leaders/approvals/"),
            visit(f"/sessions/{open_session.pk}/assign/"),
            submit(f"/sessions/{open_session.pk}/assign/", "form.assign-form"),
        ]

    return {
        ANONYMOUS: [
            visit("/catalog/"),
            with_errors("/catalog/?month=not-a-month"),
            visit(f"/catalog/sessions/{open_session.pk}/"),
            visit("/accounts/login/"),
            submit(
                "/accounts/login/",
                "main form",
                fill=lambda page: (
                    page.get_by_label("Username").fill("teacher"),
                    page.get_by_label("Password").fill("not-the-password"),
                ),
            ),
            failed_sign_ins("nobody-in-particular"),
            no_csrf_token("/accounts/login/", "main form"),
            visit("/accounts/login/code/"),
            submit("/accounts/login/code/", "main form"),
            submit(
                "/accounts/login/code/",
                "main form",
                fill=lambda page: page.get_by_label("Email").fill(teacher.email),
                statuses=(200,),
                name="/accounts/login/code/confirm/ (a code was mailed)",
            ),
            error_page(
                403,
                "accounts/refused.html",
                {
                    "message": "Nobody on the district's staff roster has the address "
                    "someone@example.org, so no account was made.",
                    "refusal": "not_on_roster",
                    "contact": "Human Resources",
                },
            ),
            visit("/accounts/password_reset/"),
            submit("/accounts/password_reset/", "main form"),
            submit(
                "/accounts/password_reset/",
                "main form",
                fill=lambda page: page.get_by_label("Email").fill(teacher.user.email),
                statuses=(200,),
                name="/accounts/password_reset/ (submitted: check your mail)",
            ),
            visit("/accounts/password_reset/done/"),
            visit(reset_link),
            submit(reset_link, "main form", fill=mismatched_passwords),
            visit("/accounts/reset/MQ/no-longer-valid/"),
            visit("/accounts/reset/done/"),
            visit("/verify/"),
            visit(f"/verify/{completion.verification_code}/"),
            visit("/verify/NOSUCHCODE/", status=404),
            visit("/no-such-page/", status=404),
            error_page(500),
            error_page(503),
        ],
        "teacher": [
            visit("/catalog/"),
            visit(f"/catalog/sessions/{open_session.pk}/"),
            visit(f"/catalog/sessions/{enrolled.session_id}/"),
            visit("/me/"),
            visit("/accounts/2fa/"),
            visit("/accounts/sessions/"),
            visit("/me/transcript/"),
            visit(f"/me/enrollments/{unevaluated.pk}/evaluation/"),
            # Withdrawing asks first, saying what is given up.
            visit(f"/enrollments/{enrolled.pk}/withdraw/?next=/me/"),
            submit(f"/me/enrollments/{unevaluated.pk}/evaluation/", "form.evaluation__form"),
            visit(f"/completions/{completion.pk}/certificate/"),
            visit("/calendars/subscription/rotate/"),
            visit("/calendars/subscription/revoke/"),
            visit("/accounts/password_change/"),
            submit("/accounts/password_change/", "main form"),
            visit("/accounts/password_change/done/"),
            visit("/api/docs/", ready=".swagger-ui .opblock"),
            api_docs_opened(),
            visit("/leaders/", status=404),
            # Before the click: a session for building leaders says whom it is for.
            visit(f"/catalog/sessions/{leaders_only.pk}/"),
            visit("/me/outside/"),
            submit("/me/outside/", "main form[enctype]"),
            visit("/check-in/"),
            submit("/check-in/", "main form", fill=no_browser_validation("main form")),
            visit("/check-in/K7Q2ZP/"),
        ],
        "facilitator": [
            visit("/teaching/"),
            check_in_screen_in(check_in_screen, "open"),
            check_in_screen_in(check_in_screen, "not yet open"),
            visit("/me/"),
            visit(f"/catalog/sessions/{facilitated.pk}/"),
            visit(f"/sessions/{facilitated.pk}/roster/"),
            visit(attendance),
            submit(attendance, "form.attendance-form", fill=tamper_roster),
        ],
        "leader": [
            visit("/leaders/start/"),
            visit(f"/staff/{teacher.pk}/transcript/"),
            visit("/me/"),
            *reports(),
            submit(
                f"/sessions/{open_session.pk}/assign/",
                "form.assign-form",
                fill=lambda page: page.locator("input[name=people]").first.check(),
                statuses=(200,),
                name=f"/sessions/{open_session.pk}/assign/ (the preview)",
            ),
            assigned_after_preview(f"/sessions/{open_session.pk}/assign/"),
            visit(rp_assign),
        ],
        "districtpd": [
            # The lists of people for one building: the district's whole staff is the same
            # markup, many times over, and takes axe ten times as long.
            *reports(f"?building={leader.building.code}"),
            visit("/leaders/start/"),
            visit(f"/leaders/plan/years/new/?plan={plan.pk}"),
            submit(f"/leaders/plan/years/new/?plan={plan.pk}", "main form[method=post]"),
            visit(f"/leaders/plan/years/{year.pk}/edit/"),
            visit(f"/leaders/plan/goals/new/?plan_year={year.pk}"),
            submit(f"/leaders/plan/goals/new/?plan_year={year.pk}", "main form[method=post]"),
            visit(f"/leaders/plan/goals/{goal.pk}/edit/"),
            visit(f"/leaders/plan/goals/{goal.pk}/delete/"),
            visit(f"/leaders/plan/requirements/new/?goal={goal.pk}"),
            submit(f"/leaders/plan/requirements/new/?goal={goal.pk}", "main form[method=post]"),
            visit(f"/leaders/plan/requirements/{requirement.pk}/edit/"),
            visit(f"/leaders/plan/requirements/{requirement.pk}/delete/"),
            visit(f"/sessions/{facilitated.pk}/roster/"),
            visit(attendance),
            visit(history, ready=".history__entry"),
            visit("/outside/review/"),
            visit("/teaching/"),
        ],
        "hr": [
            # Signed in a moment ago: an authenticator app is set up without a password again.
            visit("/accounts/2fa/totp/activate/"),
            visit("/hr/"),
            visit("/hr/staff/"),
            visit("/hr/staff/?q=thompson"),
            visit(history, ready=".history__entry"),
            with_errors("/hr/staff/?building=atlantis"),
            visit("/hr/imports/"),
            submit(
                "/hr/imports/",
                "main form[enctype]",
                fill=lambda page: page.locator("main form[enctype]").evaluate(
                    "form => { form.noValidate = true; }"
                ),
            ),
            submit(
                "/hr/imports/",
                "main form[enctype]",
                fill=choose_roster,
                statuses=(200,),
                name="/hr/imports/<run>/ (a roster's preview)",
            ),
            # The admin refuses a model the login has no permission for with the site's 403.
            visit("/admin/catalog/session/add/", status=403),
        ],
        "admin": [
            visit("/catalog/"),
            visit("/me/"),
            visit("/leaders/"),
            visit("/hr/imports/"),
            visit(history, ready=".history__entry"),
            visit("/api/docs/", ready=".swagger-ui .opblock"),
        ],
    }


# -- the admin ------------------------------------------------------------------------------------

ADMIN_ERRORS = ".errornote"
# The roles that sign in to the admin: the superuser, and District PD and HR, whose logins are
# staff with their groups' permissions there (learning/migrations/0003_role_group_permissions.py).
ADMIN_ROLES = [ANONYMOUS, "districtpd", "hr", "admin"]


def role_groups_with_their_admin_permissions() -> None:
    """Give District PD and HR their admin permissions as migration 0003 does. A transactional
    test (a live server's, this one's) runs on tables that an earlier transactional test may
    have flushed, data migrations' rows included."""
    granted = import_module("learning.migrations.0003_role_group_permissions").ROLE_PERMISSIONS
    for group_name, by_app in granted.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, by_model in by_app.items():
            for model, actions in by_model.items():
                codenames = [f"{action}_{model}" for action in actions]
                permissions = Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
                assert permissions.count() == len(codenames), (app_label, codenames)
                group.permissions.add(*permissions)


def admin_url(model: type, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_posted_empty(path: str, form: str) -> Step:
    """An admin form saved as it opens (the browser's own checks off): its error state."""

    def no_browser_checks(page: Page) -> None:
        page.locator(form).evaluate("form => { form.noValidate = true; }")

    step = submit(path, form, fill=no_browser_checks, statuses=(200,))
    return replace(step, error_summary=ADMIN_ERRORS)


def admin_action(changelist: str, action: str) -> Step:
    """The confirmation page of a changelist action, run on the first row."""

    def open_page(page: Page) -> int:
        page.goto(changelist)
        page.locator("#result_list input.action-select").first.check()
        page.locator("#changelist-form select[name=action]").select_option(action)
        with page.expect_navigation() as navigation:
            page.locator("#changelist-form button[name=index]").click()
        return navigation.value.status

    return Step(f"{changelist} (action {action}: its confirmation)", open_page)


def admin_action_refused(changelist: str, action: str) -> Step:
    """The action's confirmation posted without its reason: the reason's error."""
    opened = admin_action(changelist, action).open

    def open_page(page: Page) -> int:
        opened(page)
        with page.expect_navigation() as navigation:
            page.locator("#content form [type=submit]").first.click()
        return navigation.value.status

    return Step(
        f"{changelist} (action {action}: no reason given)",
        open_page,
        shows_errors=True,
        error_summary=".errorlist",
    )


def autocomplete_opened(path: str, field: str) -> Step:
    """A form with the list of an autocomplete field (select2) open and its choices loaded."""

    def open_page(page: Page) -> int:
        response = page.goto(path)
        page.locator(f"#id_{field} + .select2 .select2-selection").click()
        # The choices, once loaded (a message has no aria-selected).
        page.locator(".select2-results__option[aria-selected]").first.wait_for(timeout=20_000)
        return response.status

    return Step(f"{path} ({field}'s autocomplete open)", open_page)


def admin_changelists(username: str) -> list[Step]:
    """The changelist of every model registered in the admin that the login may view."""
    user = User.objects.get(username=username)
    steps = []
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        opts = model._meta
        if any(
            user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("view", "change")
        ):
            steps.append(visit(admin_url(model, "changelist")))
    return steps


def admin_pages_by_role() -> dict[str, list[Step]]:
    """The admin's pages: its index, every changelist each role may view, the add and change
    forms of the models the district keeps there (inlines included), their error states, a
    search with a filter, an action's confirmation, a deletion's confirmation, and sign-in."""
    teacher = StaffMember.objects.get(user__username="teacher")
    session = (
        Session.objects.filter(status=SessionStatus.PUBLISHED, meetings__isnull=False)
        .order_by("pk")
        .first()
    )
    meeting = Meeting.objects.filter(session=session).order_by("pk")[0]
    plan = Plan.objects.order_by("pk")[0]
    year = PlanYear.objects.filter(plan=plan).order_by("pk")[0]
    goal = Goal.objects.filter(plan_year=year, requirements__isnull=False).order_by("pk")[0]
    requirement = Requirement.objects.filter(goal=goal).order_by("pk")[0]
    completion = Completion.objects.filter(staff=teacher).order_by("pk")[0]
    run = ImportRunFactory(created_by=User.objects.get(username="hr"))
    # The change of a record the history shows (the demo is written in bulk, which records none).
    teacher.preferred_name = "Mae"
    teacher.save(update_fields=["preferred_name"])
    entry = AuditEntry.objects.filter(staff=teacher).order_by("-pk")[0]

    def forms(model: type, obj, *, add: bool = True) -> list[Step]:
        return [
            *([visit(admin_url(model, "add"))] if add else []),
            visit(admin_url(model, "change", obj.pk)),
        ]

    sessions = admin_url(Session, "changelist")
    staff = admin_url(StaffMember, "changelist")
    searched_sessions = (
        f"{sessions}?q={session.course.code}&status__exact={SessionStatus.PUBLISHED}"
    )
    searched_staff = f"{staff}?q={teacher.last_name}&building__id__exact={teacher.building_id}"
    return {
        # The admin's sign-in is the site's: its page, as the admin's address leads there.
        ANONYMOUS: [visit("/admin/login/")],
        "districtpd": [
            visit("/admin/"),
            *admin_changelists("districtpd"),
            visit(searched_sessions),
            *forms(Session, session),
            admin_posted_empty(admin_url(Session, "add"), "#session_form"),
            *forms(PlanYear, year),
            visit(admin_url(Requirement, "change", requirement.pk)),
            visit(admin_url(StaffMember, "change", teacher.pk)),
            visit(admin_url(Completion, "change", completion.pk)),
        ],
        "hr": [
            visit("/admin/"),
            *admin_changelists("hr"),
            visit(searched_staff),
            *forms(StaffMember, teacher),
            admin_posted_empty(admin_url(StaffMember, "add"), "#staffmember_form"),
            visit(admin_url(ImportRun, "change", run.pk)),
        ],
        "admin": [
            visit("/admin/"),
            *admin_changelists("admin"),
            visit(searched_sessions),
            visit(searched_staff),
            *forms(Session, session),
            autocomplete_opened(admin_url(Session, "add"), "course"),
            autocomplete_opened(admin_url(Session, "add"), "facilitators"),
            admin_posted_empty(admin_url(Session, "add"), "#session_form"),
            visit(admin_url(Session, "history", session.pk)),
            admin_action(sessions, "cancel_selected"),
            admin_action_refused(sessions, "cancel_selected"),
            *forms(Meeting, meeting),
            *forms(StaffMember, teacher),
            *forms(Course, session.course),
            *forms(Plan, plan),
            *forms(PlanYear, year),
            *forms(Goal, goal),
            *forms(Requirement, requirement),
            admin_posted_empty(admin_url(Requirement, "add"), "#requirement_form"),
            *forms(Completion, completion),
            admin_posted_empty(admin_url(Completion, "add"), "#completion_form"),
            visit(admin_url(ImportRun, "change", run.pk)),
            visit(admin_url(AuditEntry, "change", entry.pk)),
            visit(admin_url(Goal, "delete", goal.pk)),
            # Logins: where a person is given a role (an auth group).
            *forms(User, teacher.user),
            visit(reverse("admin:password_change")),
        ],
    }


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("banner")).to_contain_text("Signed in as")


def test_every_page_as_every_role_has_no_serious_wcag_violation(
    live_server, browser: Browser, axe_source: str, tmp_path: Path
):
    # Django's test runner turns DEBUG off, which seed_demo otherwise takes for production.
    role_groups_with_their_admin_permissions()
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    pages = pages_by_role(tmp_path)
    assert set(pages) == set(ROLES)
    admin_pages = admin_pages_by_role()
    assert set(admin_pages) == set(ADMIN_ROLES)
    # The superuser opens the changelist of every model registered, including any added later.
    assert len(admin_changelists("admin")) == len(admin.site._registry)
    for role, steps in admin_pages.items():
        pages[role] = pages[role] + steps

    checked: list[tuple[str, str]] = []
    wrong_state: list[str] = []
    violations: list[str] = []
    for role in ROLES:
        context = browser.new_context(bypass_csp=True, base_url=live_server.url)
        page = context.new_page()
        if role != ANONYMOUS:
            sign_in(page, role, DEMO_PASSWORD)
        for step in pages[role]:
            status = step.open(page)
            signed_out = urlsplit(page.url).path in ("/accounts/login/", "/admin/login/")
            if role != ANONYMOUS and signed_out:
                wrong_state.append(f"{role} {step.name}: sent to the sign-in page")
            elif status not in step.statuses:
                wrong_state.append(f"{role} {step.name}: HTTP {status}, expected {step.statuses}")
            elif step.shows_errors and not page.locator(step.error_summary).first.is_visible():
                wrong_state.append(f"{role} {step.name}: no error summary on the page")
            checked.append((role, step.name))
            for violation in axe_violations(page, axe_source):
                if violation["impact"] in BLOCKING:
                    violations.append(
                        f"{role} {step.name}: {violation['id']} ({violation['impact']}) "
                        f"{violation['help']}; at {', '.join(violation['targets'][:8])}"
                    )
        context.close()

    assert len(checked) == sum(len(steps) for steps in pages.values())
    problems = []
    if wrong_state:
        problems += ["Pages not in the state to check:", *wrong_state]
    if violations:
        problems += [
            f"{len(violations)} serious or critical WCAG 2.1 AA violations on {len(checked)} "
            "pages x roles:",
            *violations,
        ]
    assert not problems, "\n".join(problems)


# -- the keyboard alone ---------------------------------------------------------------------------

# The focused element, whether it matches `selector`, and whether the focus shows: the element
# matches :focus-visible and draws an outline (2px or more) or a ring.
FOCUS_STATE = """(selector) => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const label = element.getAttribute('aria-label') || element.innerText || element.name
    || element.id || element.tagName;
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return {
    matches: element.matches(selector),
    name: label.trim().replace(/\\s+/g, ' ').slice(0, 60),
    shown: element.matches(':focus-visible') && (outlined || style.boxShadow !== 'none'),
  };
}"""


class Keyboard:
    """Moves through a page with Tab and Shift+Tab only, noting every stop where the focus
    does not show."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.unseen_focus: list[str] = []

    def tab_to(self, selector: str, *, backwards: bool = False, limit: int = 200) -> None:
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(limit):
            self.page.keyboard.press(key)
            state = self.page.evaluate(FOCUS_STATE, selector)
            if not state["shown"]:
                self.unseen_focus.append(f"{self.page.url}: {state['name']}")
            if state["matches"]:
                return
        pytest.fail(f"{limit} presses of {key} on {self.page.url} never reached {selector}")

    def press_and_load(self, key: str) -> None:
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    def skip_to_content(self) -> None:
        """The first Tab reaches the visible skip link; Enter puts the focus on the main
        content, and the next Tab stays inside it."""
        self.page.keyboard.press("Tab")
        skip = self.page.locator(".skip-link")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        assert self.page.evaluate(FOCUS_STATE, ".skip-link")["shown"]
        self.page.keyboard.press("Enter")
        expect(self.page.locator("main#main")).to_be_focused()

    def sign_in(self, username: str) -> None:
        self.page.goto("/accounts/login/")
        # The sign-in page starts in its username field (autofocus).
        expect(self.page.locator("#id_username")).to_be_focused()
        self.page.keyboard.type(username)
        self.tab_to("#id_password")
        self.page.keyboard.type(PASSWORD)
        self.press_and_load("Enter")
        expect(self.page.get_by_role("banner")).to_contain_text("Signed in as")

    def find_session(self, session: Session) -> None:
        """From the menu to the catalog (a person starts on their own page), search for the
        course, then open the session's page."""
        self.tab_to('.site-nav a[href="/catalog/"]')
        self.press_and_load("Enter")
        self.skip_to_content()
        self.tab_to("#id_q")
        self.page.keyboard.type(session.course.title)
        self.press_and_load("Enter")
        self.tab_to(f'a[href="/catalog/sessions/{session.pk}/"]')
        self.press_and_load("Enter")
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(session.course.title)


def test_a_teacher_enrolls_with_the_keyboard_alone(live_server, browser: Browser, teacher):
    session = SessionFactory(course=CourseFactory(title="Restorative Circles in the Classroom"))
    MeetingFactory(session=session)
    context = browser.new_context(base_url=live_server.url)
    keyboard = Keyboard(context.new_page())

    keyboard.sign_in("teacher")
    keyboard.find_session(session)
    keyboard.tab_to("form[action$='/enroll/'] button[type=submit]")
    keyboard.press_and_load("Space")

    expect(keyboard.page.get_by_role("status")).to_contain_text("You are enrolled")
    enrollment = Enrollment.objects.get(staff=teacher, session=session)
    assert enrollment.status == EnrollmentStatus.ENROLLED
    assert enrollment.source == EnrollmentSource.SELF
    assert keyboard.unseen_focus == []
    context.close()


def test_a_facilitator_takes_attendance_with_the_keyboard_alone(
    live_server, browser: Browser, facilitator
):
    course = CourseFactory(title="Trauma-Informed Practices")
    session = SessionFactory(course=course)
    session.facilitators.add(facilitator)
    now = timezone.now()
    held = MeetingFactory(
        session=session, starts_at=now - dt.timedelta(hours=2), ends_at=now - dt.timedelta(hours=1)
    )
    # A meeting still to come keeps the session in the catalog.
    MeetingFactory(session=session)
    present, absent = (
        EnrollmentFactory(session=session, staff=StaffMemberFactory(first_name=first))
        for first in ("Ana", "Ben")
    )
    context = browser.new_context(base_url=live_server.url)
    keyboard = Keyboard(context.new_page())

    keyboard.sign_in("facilitator")
    keyboard.find_session(session)
    keyboard.tab_to(f'a[href="/sessions/{session.pk}/roster/"]')
    keyboard.press_and_load("Enter")
    keyboard.tab_to(f'a[href="/sessions/{session.pk}/meetings/{held.pk}/attendance/"]')
    keyboard.press_and_load("Enter")
    # Past the form to its button, back to the first participant, who was there.
    keyboard.tab_to(".attendance-form button[type=submit]")
    keyboard.tab_to(f"#present-{present.pk}", backwards=True)
    keyboard.page.keyboard.press("Space")
    expect(keyboard.page.locator(f"#present-{present.pk}")).to_be_checked()
    expect(keyboard.page.locator(f"#present-{absent.pk}")).not_to_be_checked()
    keyboard.tab_to(".attendance-form button[type=submit]")
    keyboard.press_and_load("Enter")

    expect(keyboard.page.get_by_role("status")).to_contain_text("1 present, 1 absent")
    marks = {mark.enrollment_id: mark.present for mark in Attendance.objects.filter(meeting=held)}
    assert marks == {present.pk: True, absent.pk: False}
    assert set(
        Attendance.objects.filter(meeting=held).values_list("recorded_by__username", flat=True)
    ) == {"facilitator"}
    assert keyboard.unseen_focus == []
    context.close()
