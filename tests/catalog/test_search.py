"""Catalog search finds what a teacher types: the words of a course's title, code, summary and
strand, endings, accents, case and hyphens folded, each word a prefix. The queries are the ones
that failed before, and more, on the demo district's own catalog; CI runs them on SQLite and on
PostgreSQL (its full-text search)."""

import pytest
from django.urls import reverse

from catalog import search
from catalog.models import Course, Strand
from demo.content import COURSES, STRANDS
from demo.seed import write_catalog
from tests.factories import CourseFactory, MeetingFactory, SessionFactory, StrandFactory

pytestmark = pytest.mark.django_db

SEL = {"sel-101", "sel-201", "sel-210", "sel-220"}


@pytest.fixture
def catalog(db):
    write_catalog(STRANDS, COURSES)


def found(text: str) -> set[str]:
    return set(search.matching(Course.objects.all(), text).values_list("code", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Hyphens and joined words are one word.
        ("wellbeing", {"sel-210"}),
        ("well-being", {"sel-210"}),
        ("Well Being", {"sel-210"}),
        # Codes, with or without the hyphen.
        ("rp-101", {"rp-101"}),
        ("RP101", {"rp-101"}),
        ("rp 101", {"rp-101"}),
        # Endings folded, and a word half typed.
        ("circle", {"rp-201"}),
        ("circ", {"rp-201"}),
        ("restore conference", {"rp-101", "rp-301"}),
        ("facilitating conferences", {"rp-301"}),
        ("coaching cycle", {"crt-301"}),
    ],
)
def test_these_queries_find_exactly_these_courses(catalog, query, expected):
    assert found(query) == expected


@pytest.mark.parametrize(
    ("query", "included"),
    [
        # The strand's own words find every course of the strand (and those that mention them).
        ("social emotional", SEL),
        ("Social-Emotional", SEL),
        ("SEL", SEL),
        ("sel", SEL),
        # "equity" is in the strand's name: Diversity, Equity and Inclusion.
        ("equity", {"dei-110", "dei-150", "dei-201", "crl-101", "bt-institute"}),
        ("restorative", {"rp-101", "rp-201", "rp-301"}),
        ("restorative practices", {"rp-101", "rp-201", "rp-301"}),
        ("inclusión", {"dei-110", "dei-150", "dei-201"}),
        ("trauma", {"sel-201"}),
        ("character", {"ce-101", "ce-201"}),
    ],
)
def test_these_queries_find_at_least_these_courses(catalog, query, included):
    results = found(query)
    assert included <= results
    # ...and not the whole catalog.
    assert len(results) < len(COURSES) / 2


def test_accents_fold_in_the_course_too(db):
    CourseFactory(code="rp-120", title="Círculos de diálogo", strand=StrandFactory(code="rp"))

    assert found("circulos dialogo") == {"rp-120"}
    assert found("Círculos") == {"rp-120"}


def test_every_word_must_be_found(catalog):
    assert found("restorative trauma") == set()
    assert found("zzzz") == set()


def test_a_renamed_strand_and_an_edited_course_are_found_by_their_new_words(db):
    strand = StrandFactory(code="ce", name="Character Education")
    course = CourseFactory(code="ce-101", title="Foundations", strand=strand)
    strand.name = "Character and Citizenship"
    strand.save()
    assert found("citizenship") == {"ce-101"}
    course.summary = "Service learning projects"
    course.save(update_fields=["summary"])
    assert found("service") == {"ce-101"}
    assert Strand.objects.get().name == "Character and Citizenship"


def test_the_catalog_page_and_the_api_search_alike(client, db):
    strand = StrandFactory(code="sel", name="Social-Emotional Learning")
    wanted = SessionFactory(
        course=CourseFactory(code="sel-210", title="Staff Well-Being", strand=strand)
    )
    other = SessionFactory(course=CourseFactory(code="rp-101", title="Circles"))
    for session in (wanted, other):
        MeetingFactory(session=session)

    page = client.get(reverse("catalog:index"), {"q": "wellbeing"}).content.decode()
    api = client.get("/api/v1/sessions/", {"q": "social emotional"}).json()
    courses = client.get("/api/v1/courses/", {"q": "well-being"}).json()

    assert "Staff Well-Being" in page and "Circles" not in page
    assert [row["id"] for row in api["results"]] == [wanted.pk]
    assert [row["code"] for row in courses["results"]] == ["sel-210"]


def test_a_session_title_is_searched_too(db):
    session = SessionFactory(title="Cohort D")
    MeetingFactory(session=session)
    SessionFactory(title="Cohort B")

    from catalog.filters import SessionFilterSet

    assert list(SessionFilterSet({"q": "cohort d"}).qs) == [session]
