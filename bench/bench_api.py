"""The API's list endpoints on the shared district: the queries of a page must not depend on how
many rows it holds. Each endpoint is read as district PD (and HR) at page_size=5 and at
page_size=500; the figure is how many endpoints' counts differ. (Evaluations are one's own, so
that list holds a person's, about ten, not 500.)"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef

from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment, Evaluation
from imports.choices import ImportKind, ImportOutcome
from imports.models import ImportRun
from learning.choices import StaffStatus
from learning.models import StaffMember

from . import core

ENDPOINTS = (
    "strands",
    "courses",
    "buildings",
    "sessions",
    "enrollments",
    "completions",
    "evaluations",
    "imports",
    "progress/people",
)
SMALL_PAGE, LARGE_PAGE = 5, 500

LIST_QUERIES = "API list endpoints: queries independent of page size"
FIGURES = (LIST_QUERIES,)


def ensure_rows(minimum: int) -> None:
    """Rows enough for the large page to be large: `minimum` import runs (the district has
    none), and evaluations for the login. Evaluations are only ever one's own: the login becomes
    the active person with the most completed enrollments, who has evaluated all of them."""
    user = get_user_model().objects.get(username=core.BENCH_USERNAME)
    if not StaffMember.objects.filter(user=user).exists():
        busiest = (
            Enrollment.objects.filter(
                status=EnrollmentStatus.COMPLETED,
                staff__user__isnull=True,
                staff__status=StaffStatus.ACTIVE,
            )
            .order_by()
            .values("staff_id")
            .annotate(completed=Count("pk"))
            .order_by("-completed", "staff_id")
            .values_list("staff_id", flat=True)[:1]
        )
        StaffMember.objects.filter(pk__in=list(busiest)).update(user=user)
    unevaluated = (
        Enrollment.objects.filter(status=EnrollmentStatus.COMPLETED, staff__user=user)
        .exclude(Exists(Evaluation.objects.filter(enrollment=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    Evaluation.objects.bulk_create(
        Evaluation(
            enrollment_id=pk,
            content_rating=1 + pk % 5,
            facilitator_rating=1 + pk % 4,
            relevance_rating=1 + pk % 3,
            comment="Useful.",
        )
        for pk in unevaluated
    )
    missing = minimum - ImportRun.objects.count()
    if missing > 0:
        ImportRun.objects.bulk_create(
            ImportRun(
                kind=ImportKind.ROSTER,
                file_name=f"roster-{number}.xlsx",
                file_sha256=f"{number:064x}",
                created_by=user,
                outcome=ImportOutcome.PREVIEWED,
                counts={"rows": number},
            )
            for number in range(missing)
        )


def figures(context: core.Context) -> Iterator[core.Figure]:
    context.district()
    client = core.district_pd_client()
    ensure_rows(LARGE_PAGE + 1)

    differing, lines = [], []
    for endpoint in ENDPOINTS:
        url = f"/api/v1/{endpoint}/"
        counts, rows = [], None
        for page_size in (SMALL_PAGE, LARGE_PAGE):
            queries, response = core.count_queries(
                lambda url=url, page_size=page_size: client.get(url, {"page_size": page_size})
            )
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            rows = response.json().get("count")
            counts.append(queries)
        if counts[0] != counts[1]:
            differing.append(endpoint)
        lines.append(f"{endpoint} {counts[0]}/{counts[1]} ({rows:,} rows)")
    yield core.Figure(
        LIST_QUERIES,
        len(differing),
        "endpoints",
        target="0",
        met=not differing,
        note="queries at page_size 5/500: " + ", ".join(lines),
    )
