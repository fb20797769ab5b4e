"""Building leaders' and district PD's pages: assigning staff to a session, and deciding the
requests that wait for approval. Anyone else gets a 404, as for anything outside their scope."""

from __future__ import annotations

from collections import Counter

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from catalog import access as session_access
from catalog.models import Session
from catalog.selectors import attach_states, shape_sessions
from core.ids import IdChoiceField, IdMultipleChoiceField, id_from_text
from core.refusals import NOT_PERMITTED, REASON_REQUIRED, Refusal
from core.text import day
from learning import access
from learning.models import Building, Position, StaffMember

from .. import selectors, services
from ..choices import EnrollmentStatus
from ..models import Enrollment
from .common import safe_next

LEADING_ROLES = frozenset({access.Role.BUILDING_LEADER, access.Role.DISTRICT_PD})

MSG_CHOOSE_SOMEONE = "Choose at least one person, or everyone of a position or building."
MSG_NOBODY_MATCHES = "Nobody you may assign holds this position in this building."
MSG_APPROVED = "Approved: {name} has a place in {session}."
MSG_DECLINED = "Declined: {name}'s request for {session}. They are told your reason."
MSG_CHOOSE_REQUESTS = "Choose the requests to decide: tick them first."
MSG_BULK_DECLINE_NEEDS_REASON = (
    "Give a reason for declining: everyone declined is told it. Nothing was decided."
)
MSG_BULK_APPROVED = "Approved {count}: {names}."
MSG_BULK_DECLINED = "Declined {count}: {names}. They are told your reason."

# Outcomes of an assignment, in the order the results page counts them.
OUTCOMES = {
    EnrollmentStatus.ENROLLED: "Enrolled",
    EnrollmentStatus.PENDING_APPROVAL: "Waiting for approval",
    EnrollmentStatus.WAITLISTED: "Waitlisted",
    "refused": "Refused",
}


def _require_leader(request: HttpRequest) -> None:
    if not LEADING_ROLES & access.roles_of(request.user):
        raise Http404("No such page.")


class StaffChoiceField(IdMultipleChoiceField):
    def label_from_instance(self, staff: StaffMember) -> str:
        return staff.display_name


class AssignForm(forms.Form):
    """Who to assign: chosen people, and/or everyone of a position and/or building. Every choice
    is limited to the staff the user may assign, so an id from outside that scope is an invalid
    choice, never an enrollment."""

    people = StaffChoiceField(
        queryset=StaffMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="People",
    )
    position = IdChoiceField(
        queryset=Position.objects.none(),
        required=False,
        empty_label="Any position",
        label="Everyone of position",
    )
    building = IdChoiceField(
        queryset=Building.objects.none(),
        required=False,
        empty_label="Any building",
        label="Everyone in building",
    )
    include_credited = forms.BooleanField(
        required=False,
        label="Also assign people who have already completed this course",
        help_text="Left unticked, anyone who has completed it is left out and listed as such.",
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    override_window = forms.BooleanField(
        required=False,
        label="Enroll even though registration is not open",
        help_text="District PD only: the registration window is not checked. "
        "Every other rule still applies.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        assignable = selectors.assignable_staff(user=user)
        self.fields["people"].queryset = assignable
        in_scope = assignable.order_by()
        self.fields["position"].queryset = Position.objects.filter(
            pk__in=in_scope.values("position_id")
        ).order_by("name")
        self.fields["building"].queryset = Building.objects.filter(
            pk__in=in_scope.values("building_id")
        ).order_by("name")
        if not access.is_district_pd(user):
            del self.fields["override_window"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        position, building = data.get("position"), data.get("building")
        chosen = list(data.get("people") or [])
        everyone = []
        if position is not None or building is not None:
            everyone = list(
                selectors.assignable_staff(user=self.user, position=position, building=building)
            )
            if not everyone:
                self.add_error(
                    "position" if position is not None else "building", MSG_NOBODY_MATCHES
                )
        elif not chosen:
            self.add_error("people", MSG_CHOOSE_SOMEONE)
        # The chosen people first, in name order; the service drops anyone named twice.
        data["staff"] = chosen + everyone
        return data


def _people_by_building(
    form: AssignForm,
    shown: Building | None,
    *,
    people: list[StaffMember] | None = None,
    checked_ids: set[int] | None = None,
) -> list[dict]:
    """The people checkboxes grouped by building, each group a fieldset on the page: everyone
    the user may assign (in the shown building), or the given people."""
    checked = {str(value) for value in (form["people"].value() or [])}
    checked |= {str(pk) for pk in checked_ids or ()}
    if people is None:
        people = form.fields["people"].queryset
        if shown is not None:
            people = people.filter(building=shown)
    groups: dict[str, dict] = {}
    for staff in people:
        name = staff.building.name if staff.building else "No building"
        group = groups.setdefault(name, {"name": name, "people": []})
        group["people"].append(
            {
                "staff": staff,
                "id": f"person-{staff.pk}",
                "checked": str(staff.pk) in checked,
            }
        )
    return sorted(groups.values(), key=lambda group: group["name"])


def _shown_buildings(request: HttpRequest, form: AssignForm) -> tuple[Building | None, bool]:
    """Which building's staff the people list shows (the `show` filter). District PD sees the
    whole district's staff only building by building, to keep the page a usable size."""
    raw = request.GET.get("show", "")
    choice = None
    pk = id_from_text(raw)
    if pk is not None:
        choice = form.fields["building"].queryset.filter(pk=pk).first()
    must_choose = choice is None and access.is_district_pd(request.user)
    return choice, must_choose


@login_required
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose people (or everyone of a position or building), read the preview of what the
    assignment would do, then confirm it. From a requirement's "who still needs it"
    (?requirement=ID), the page lists exactly the people who still need it, ticked."""
    _require_leader(request)
    try:
        session = shape_sessions(session_access.visible_sessions(request.user)).get(pk=pk)
    except Session.DoesNotExist:
        raise Http404("No such session.") from None
    now = timezone.now()
    attach_states([session], at=now)
    requirement_asked = id_from_text(request.GET.get("requirement", ""))
    requirement = selectors.requirement_for_session(pk=requirement_asked, session=session)
    form = AssignForm(request.POST if request.method == "POST" else None, user=request.user)
    refusal_message = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["confirm"]:
            return _assign_preview(request, session, form, requirement, now)
        try:
            results = services.enrollments_assign(
                staff=data["staff"],
                session=session,
                actor=request.user,
                override_window=data.get("override_window", False),
                include_credited=data["include_credited"],
                because=_because(requirement),
            )
        except Refusal as refusal:
            refusal_message = refusal.message
        else:
            return _assign_results(request, session, results)
    shown, must_choose = _shown_buildings(request, form)
    needing = None
    if requirement is not None and request.method == "GET":
        needing = selectors.still_needing(requirement=requirement, user=request.user)
        if shown is not None:
            needing = [person for person in needing if person.building_id == shown.pk]
        groups = _people_by_building(
            form, shown, people=needing, checked_ids={p.pk for p in needing}
        )
    else:
        groups = [] if must_choose else _people_by_building(form, shown)
    _mark(groups, session)
    status = 400 if form.errors or refusal_message else 200
    return render(
        request,
        "enrollment/assign.html",
        {
            "session": session,
            "course": session.course,
            "form": form,
            "groups": groups,
            "shown": shown,
            "must_choose": must_choose and needing is None,
            "show_choices": form.fields["building"].queryset,
            "requirement": requirement,
            "requirement_unknown": requirement_asked is not None and requirement is None,
            "needing": needing,
            "errors": [
                {
                    "label": form.fields[name].label if name in form.fields else "",
                    "message": m,
                    "anchor": _anchor(form, name),
                }
                for name, msgs in form.errors.items()
                for m in msgs
            ],
            "refusal_message": refusal_message,
            "time_zone": timezone.get_current_timezone_name(),
        },
        status=status,
    )


def _because(requirement) -> str:
    """Why the places are given, for the mail: the requirement and its due date."""
    if requirement is None:
        return ""
    name = requirement.title or str(requirement)
    return f"for the plan's requirement “{name}” (due {day(requirement.due_on)})"


def _mark(groups: list[dict], session: Session) -> None:
    """Say beside each listed person whether they hold a place or have completed the course."""
    ids = [person["staff"].pk for group in groups for person in group["people"]]
    marks = selectors.assign_marks(staff_ids=ids, session=session)
    for group in groups:
        for person in group["people"]:
            person["mark"] = marks.get(person["staff"].pk, "")


def _assign_preview(request, session, form, requirement, now) -> HttpResponse:
    """What the assignment would do to each person, before anyone is enrolled or mailed; the
    confirmation carries the very people previewed."""
    data = form.cleaned_data
    preview = selectors.assignment_preview(
        staff=data["staff"],
        session=session,
        user=request.user,
        include_credited=data["include_credited"],
        override_window=data.get("override_window", False),
        at=now,
    )
    return render(
        request,
        "enrollment/assign_preview.html",
        {
            "session": session,
            "course": session.course,
            "preview": preview,
            "include_credited": data["include_credited"],
            "override_window": data.get("override_window", False),
            "requirement": requirement,
            "because": _because(requirement),
        },
    )


def _anchor(form: forms.Form, name: str) -> str:
    if name not in form.fields:
        return ""
    # The people checkboxes sit in nested fieldsets; the summary links to the outer one.
    return "people-fieldsets" if name == "people" else form[name].id_for_label


def _assign_results(request: HttpRequest, session: Session, results) -> HttpResponse:
    rows = []
    for result in results:
        if result.refusal is not None:
            outcome, words = "refused", f"Refused: {result.refusal.message}"
        else:
            outcome = result.placement.status
            words = OUTCOMES[outcome]
            if outcome == EnrollmentStatus.WAITLISTED:
                words = f"Waitlisted, number {result.placement.waitlist_position}"
        # Everyone the user may assign has a transcript they may read; a refusal for someone
        # out of reach names them without a link.
        linked = result.refusal is None or result.refusal.code != NOT_PERMITTED
        rows.append({"staff": result.staff, "outcome": outcome, "words": words, "linked": linked})
    counted = Counter(row["outcome"] for row in rows)
    counts = [(key, label, counted[key]) for key, label in OUTCOMES.items() if counted[key]]
    return render(
        request,
        "enrollment/assign_results.html",
        {
            "session": session,
            "course": session.course,
            "rows": rows,
            "counts": counts,
        },
    )


@login_required
@require_safe
def approvals(request: HttpRequest) -> HttpResponse:
    _require_leader(request)
    pending = selectors.approval_cards(user=request.user)
    return render(
        request,
        "enrollment/approvals.html",
        {"pending": pending, "time_zone": timezone.get_current_timezone_name()},
    )


class BulkDecisionForm(forms.Form):
    enrollments = forms.CharField(required=False)
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    reason = forms.CharField(required=False, max_length=2000)


@login_required
@require_POST
def decide_many(request: HttpRequest) -> HttpResponse:
    """Approve or decline the chosen requests at once (one reason for all declines). Nothing is
    decided when the choice is empty, a decline has no reason, or a request is not the user's
    to decide; otherwise each is decided in turn and the page says what happened to each."""
    _require_leader(request)
    ids = [id_from_text(value) for value in request.POST.getlist("enrollments")]
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    if decision not in ("approve", "decline"):
        raise Http404("No such decision.")
    if not ids or None in ids:
        messages.error(request, MSG_CHOOSE_REQUESTS)
        return _back(request)
    chosen = list(
        Enrollment.objects.filter(pk__in=ids, staff__in=access.actionable_staff(request.user))
        .select_related("staff", "session__course")
        .order_by("requested_at", "pk")
    )
    if len(chosen) != len(set(ids)):
        raise Http404("No such request.")
    approve = decision == "approve"
    try:
        result = services.enrollments_decide(
            enrollments=chosen, actor=request.user, approve=approve, reason=reason
        )
    except Refusal as refusal:
        # Refused before any decision: the decline's reason is missing or unreadable.
        missing = refusal.code == REASON_REQUIRED
        messages.error(request, MSG_BULK_DECLINE_NEEDS_REASON if missing else refusal.message)
        return _back(request)
    if result.decided:
        template = MSG_BULK_APPROVED if approve else MSG_BULK_DECLINED
        names = ", ".join(enrollment.staff.display_name for enrollment in result.decided)
        messages.success(request, template.format(count=len(result.decided), names=names))
    for enrollment, refusal in result.refused:
        messages.error(request, f"{enrollment.staff.display_name}: {refusal.message}")
    return _back(request)


def _enrollment_in_scope(request: HttpRequest, pk: int) -> Enrollment:
    _require_leader(request)
    enrollment = (
        Enrollment.objects.filter(pk=pk, staff__in=access.actionable_staff(request.user))
        .select_related("staff", "session__course")
        .first()
    )
    if enrollment is None:
        raise Http404("No such request.")
    return enrollment


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(safe_next(request) or reverse("enrollment:approvals"))


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment_in_scope(request, pk)
    try:
        services.enrollment_approve(enrollment=enrollment, actor=request.user)
    except Refusal as refusal:
        if refusal.status == 404:
            raise Http404(refusal.message) from None
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            MSG_APPROVED.format(
                name=enrollment.staff.display_name, session=enrollment.session.display_title
            ),
        )
    return _back(request)


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment_in_scope(request, pk)
    try:
        services.enrollment_decline(
            enrollment=enrollment, actor=request.user, reason=request.POST.get("reason", "")
        )
    except Refusal as refusal:
        if refusal.status == 404:
            raise Http404(refusal.message) from None
        messages.error(request, f"{enrollment.staff.display_name}: {refusal.message}")
    else:
        messages.success(
            request,
            MSG_DECLINED.format(
                name=enrollment.staff.display_name, session=enrollment.session.display_title
            ),
        )
    return _back(request)
