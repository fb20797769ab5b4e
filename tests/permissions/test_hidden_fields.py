"""No filter, search or ordering of the API confirms a value the caller is not shown.

The walk covers every GET operation of the API that lists rows or takes query parameters, found
in the OpenAPI schema (a new endpoint fails until KNOWN says what stands behind its rows), for
every role of DESIGN.md, and every parameter, classified by introspection of the view's FilterSet
and filter backends:

- a search (a CharFilter, DRF's SearchFilter) is tried with each text the role is not shown of
  the records behind its rows and the records those point to: a person's employee id, email or
  first name under a preferred name, the reason given on someone's request, a comment...;
- a filter by natural key (a model choice by `to_field_name`) with each value of that field in
  the whole database the role is not shown (an employee id confirmed to exist is a leak too).

Each answer must equal the one the same parameter gets with a decoy that names nothing: same
status, same rows (or the same error, the value aside). "Shown" is everything the role's own
unfiltered answers of the API hold. Ids (row numbers, shown with every row), choices (listed in
the schema, the same for everyone), dates and booleans name nothing hidden and are not tried. An
ordering parameter fails the walk until it is taught to check that the order follows only shown
fields: ordering by a hidden field leaks it by the order."""

from __future__ import annotations

import csv
import importlib
import importlib.util
import inspect
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import django_filters
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.urls import resolve
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.generators import SchemaGenerator
from openpyxl import load_workbook
from rest_framework import filters as drf_filters
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from enrollment.api import EnrollmentViewSet
from enrollment.filters import EnrollmentFilterSet
from learning.models import StaffMember
from tests import factories as f

from .world import ROLES, World

pytestmark = pytest.mark.django_db

PAGING = frozenset({"page", "page_size", "format"})
ALL_ROWS = {"page_size": 500}
# Shorter values are found inside too many shown words to tell anything.
MIN_LENGTH = 3
PLACEHOLDER = "<value>"
# A password is a hash, never searched; a course's search document is made of the words the
# catalog shows (catalog.search). Skipping them keeps the walk short.
NOT_SECRET = frozenset({"password", "search_document"})


# The endpoints, and the records behind each one's rows

RowsOf = Callable[[type, dict], list[models.Model]]


def by_row_id(view: type, body: dict) -> list[models.Model]:
    """The rows of a ModelSerializer's list: its model's objects by the rows' ids."""
    model = view.serializer_class.Meta.model
    return list(model.objects.filter(pk__in=[row["id"] for row in body["results"]]))


def by_staff_id(view: type, body: dict) -> list[models.Model]:
    """The people of a report's rows."""
    return list(StaffMember.objects.filter(pk__in=[row["staff"]["id"] for row in body["results"]]))


def no_rows(view: type, body) -> list[models.Model]:
    """Numbers, or a file of the same report: no search to try texts on."""
    return []


KNOWN: dict[str, RowsOf] = {
    "/api/v1/strands/": by_row_id,
    "/api/v1/courses/": by_row_id,
    "/api/v1/buildings/": by_row_id,
    "/api/v1/sessions/": by_row_id,
    "/api/v1/enrollments/": by_row_id,
    "/api/v1/completions/": by_row_id,
    "/api/v1/evaluations/": by_row_id,
    "/api/v1/imports/": by_row_id,
    "/api/v1/staff/": by_row_id,
    "/api/v1/jobs/": by_row_id,
    "/api/v1/progress/people/": by_staff_id,
    "/api/v1/progress/": no_rows,
    "/api/v1/progress/seats/": no_rows,
    "/api/v1/progress/completions.xlsx": no_rows,
    "/api/v1/progress/outstanding.csv": no_rows,
}


@dataclass(frozen=True)
class Operation:
    path: str
    view: type
    params: tuple[str, ...]
    walked: bool  # a list, or takes filters


def api_operations() -> list[Operation]:
    """Every GET operation of the schema; path parameters are left to the detail tests."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, methods in schema["paths"].items():
        get = methods.get("get")
        if get is None:
            continue
        names = {p["name"] for p in get.get("parameters", ()) if p["in"] == "query"}
        params = tuple(sorted(names - PAGING))
        walked = bool(params) or "page" in names
        view = resolve(path).func.cls if "{" not in path else None
        found.append(Operation(path, view, params, walked))
    return found


OPERATIONS = api_operations()
WALKED = [op for op in OPERATIONS if op.walked]
# Everything a role may read without naming an object: what it is shown.
READABLE = [op for op in OPERATIONS if "{" not in op.path]


# What each parameter is


@dataclass(frozen=True)
class Search:
    """Free text."""


@dataclass(frozen=True)
class Key:
    """An object by a natural key: `field` of `model`."""

    model: type[models.Model]
    field: str


@dataclass(frozen=True)
class NamesNothingHidden:
    why: str


Kind = Search | Key | NamesNothingHidden
KNOWN_BACKENDS = (DjangoFilterBackend, drf_filters.SearchFilter)


def _choice_model(flt) -> type[models.Model]:
    queryset = flt.queryset
    if callable(queryset):
        queryset = queryset(SimpleNamespace(user=AnonymousUser()))
    return queryset.model


def kind_of_filter(flt) -> Kind:
    if isinstance(flt, django_filters.OrderingFilter):
        raise AssertionError("an ordering filter: teach this walk to check its order")
    if isinstance(flt, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter):
        to_field = flt.extra.get("to_field_name")
        if to_field in (None, "pk", "id"):
            return NamesNothingHidden("ids: row numbers, shown with every row")
        return Key(_choice_model(flt), to_field)
    if isinstance(flt, django_filters.CharFilter):
        return Search()
    if isinstance(flt, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter):
        return NamesNothingHidden("choices: the same list for everyone")
    if isinstance(flt, django_filters.BooleanFilter | django_filters.DateFilter):
        return NamesNothingHidden("a boolean or a date")
    raise AssertionError(f"{type(flt).__name__}: teach this walk what it matches")


def backends_of(view: type) -> list[type]:
    if not hasattr(view, "get_queryset"):
        return []
    return list(getattr(view, "filter_backends", api_settings.DEFAULT_FILTER_BACKENDS))


def kind_of(op: Operation, name: str) -> Kind:
    for backend in backends_of(op.view):
        assert issubclass(backend, KNOWN_BACKENDS), (
            f"{op.path}: {backend.__name__}: teach this walk what it filters by"
        )
        if issubclass(backend, drf_filters.SearchFilter) and name == backend.search_param:
            return Search()
    filterset_class = getattr(op.view, "filterset_class", None)
    assert filterset_class is not None and name in filterset_class.base_filters, (
        f"{op.path}?{name}: no FilterSet or backend of the view takes it"
    )
    return kind_of_filter(filterset_class.base_filters[name])


# Answers


def parse(response):
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        return response.json()
    if content_type.startswith("text/csv"):
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    if "spreadsheetml" in content_type:
        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        return {
            sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook
        }
    return response.content.decode()


def leaves(body) -> Iterator[str]:
    if isinstance(body, dict):
        for value in body.values():
            yield from leaves(value)
    elif isinstance(body, list | tuple):
        for value in body:
            yield from leaves(value)
    elif body is not None:
        yield str(body)


def replaced(body, values: Iterable[str]):
    if isinstance(body, dict):
        return {key: replaced(value, values) for key, value in body.items()}
    if isinstance(body, list | tuple):
        return [replaced(value, values) for value in body]
    if isinstance(body, str):
        for value in values:
            body = body.replace(value, PLACEHOLDER)
    return body


def answer(response, *values: str):
    """What a client learns from a filtered answer: its status and rows, or its error, with the
    value asked for taken out (an error repeats it)."""
    body = replaced(parse(response), values)
    if response.status_code == 200 and isinstance(body, dict):
        if "results" in body:
            return 200, body["count"], [row.get("id", row) for row in body["results"]]
        body.pop("as_of", None)  # the day the request was answered
    return response.status_code, body


def decoy_of(value: str, *, search: bool = False) -> str:
    """The same length, naming nothing: no stored text holds "~". A search folds punctuation
    and takes each word as a prefix ("Teache~" would find "teaching"), so its decoy is a word
    nothing starts with."""
    if search:
        return ("q" + "x" * len(value))[: max(len(value), 2)]
    return value[:-1] + "~"


# The texts behind rows: each record's text fields, those of the records it points to (two steps),
# and of the records pointing at it (one step: a session's enrollments, an enrollment's evaluation)


def text_fields(obj: models.Model) -> Iterator[tuple[str, str]]:
    for field in obj._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField) and field.name not in NOT_SECRET:
            value = getattr(obj, field.attname)
            if isinstance(value, str) and len(value) >= MIN_LENGTH:
                yield value, f"{obj._meta.label}.{field.name}"


def related(obj: models.Model, *, backwards: bool) -> Iterator[models.Model]:
    for field in obj._meta.get_fields():
        if not field.is_relation:
            continue
        if field.concrete and (field.many_to_one or field.one_to_one):
            target = getattr(obj, field.name)
            if target is not None:
                yield target
        elif field.concrete and field.many_to_many:
            yield from getattr(obj, field.name).all()
        elif backwards and field.auto_created and not field.concrete:
            accessor = field.get_accessor_name()
            if field.one_to_one:
                target = getattr(obj, accessor, None)
                if target is not None:
                    yield target
            else:
                yield from getattr(obj, accessor).all()


class TextsBehind:
    """Texts behind rows, worked out once per record (whoever reads it)."""

    def __init__(self):
        self.memo: dict[tuple[str, object], dict[str, str]] = {}

    def of(self, obj: models.Model) -> dict[str, str]:
        key = (obj._meta.label, obj.pk)
        if key not in self.memo:
            texts = dict(text_fields(obj))
            for near in related(obj, backwards=True):
                texts.update(text_fields(near))
                for far in related(near, backwards=False):
                    texts.update(text_fields(far))
            self.memo[key] = texts
        return self.memo[key]


# The walk


@dataclass(frozen=True)
class Probe:
    path: str
    param: str
    value: str
    source: str


@dataclass
class Walk:
    tried: list[Probe]
    leaks: list[str]


def shown_to(client: APIClient) -> str:
    """Every value of every answer the role may read unfiltered, as one searchable text."""
    shown = []
    for op in READABLE:
        response = client.get(op.path, ALL_ROWS)
        if response.status_code == 200:
            shown.extend(leaves(parse(response)))
    return "\x00".join(shown).casefold()


def walk(client: APIClient, texts: TextsBehind, paths: Iterable[str] | None = None) -> Walk:
    """Every parameter of every walked operation (or of `paths`) with every value the client is
    not shown, each beside its decoy."""
    shown = shown_to(client)

    def hidden(candidates: dict[str, str]) -> dict[str, str]:
        return {
            value: source
            for value, source in candidates.items()
            if len(value) >= MIN_LENGTH and value.casefold() not in shown
        }

    result = Walk(tried=[], leaks=[])
    for op in WALKED:
        if paths is not None and op.path not in paths:
            continue
        unfiltered = client.get(op.path, ALL_ROWS)
        rows = KNOWN[op.path](op.view, parse(unfiltered)) if unfiltered.status_code == 200 else []
        for param in op.params:
            kind = kind_of(op, param)
            if isinstance(kind, Search):
                assert KNOWN[op.path] is not no_rows, f"{op.path}: say what its rows are"
                candidates: dict[str, str] = {}
                for row in rows:
                    candidates.update(texts.of(row))
            elif isinstance(kind, Key):
                values = kind.model._default_manager.values_list(kind.field, flat=True)
                source = f"{kind.model._meta.label}.{kind.field}"
                candidates = {str(value): source for value in values if value is not None}
            else:
                continue
            for value, source in sorted(hidden(candidates).items()):
                decoy = decoy_of(value, search=isinstance(kind, Search))
                asked = answer(client.get(op.path, {**ALL_ROWS, param: value}), value, decoy)
                control = answer(client.get(op.path, {**ALL_ROWS, param: decoy}), value, decoy)
                result.tried.append(Probe(op.path, param, value, source))
                if asked != control:
                    result.leaks.append(
                        f"{op.path}?{param}=<{source} {value!r}> answers {asked!r}; "
                        f"a value naming nothing answers {control!r}"
                    )
    return result


# The world: the permission tests' people and records, plus what a filter could give away


@pytest.fixture(scope="module")
def probed_world(world: World, django_db_blocker) -> World:
    o = world.o
    with django_db_blocker.unblock():
        # Shown as "Pip Peerson": "Petra" is her legal first name, shown to nobody.
        o.peer.preferred_name = "Pip"
        o.peer.save(update_fields=["preferred_name"])
        # The leader also facilitates a session with someone of another building on its roster,
        # whose employee id the leader is not shown.
        o.s_approval.facilitators.add(o.leader)
        # A reason shown to the person, their leaders and district PD: not to the facilitator.
        o.e_outsider_past.decision_reason = "Moving to the Oak cohort in spring"
        o.e_outsider_past.save(update_fields=["decision_reason"])
        o.group = f.StaffGroupFactory(slug="advisory-committee", name="Advisory Committee")
        o.s_peer_only.restricted_to_group = o.group
        o.s_peer_only.save(update_fields=["restricted_to_group"])
        # Fresh user objects: nothing remembered from building the world (roles, scopes).
        world.users = {
            role: (User.objects.get(pk=user.pk) if user is not None else None)
            for role, user in world.users.items()
        }
    return world


@pytest.fixture(scope="module")
def texts() -> TextsBehind:
    return TextsBehind()


def client_for(world: World, role: str) -> APIClient:
    client = APIClient()
    if world.users[role] is not None:
        client.force_authenticate(world.users[role])
    return client


# What the walk must at least try, so that it cannot pass by trying nothing: for each role, probes
# (path, parameter, source of the value) of the leaks this file was written for.
MUST_TRY = {
    "facilitator": {("/api/v1/enrollments/", "q", "learning.StaffMember.employee_id")},
    "leader": {("/api/v1/enrollments/", "q", "learning.StaffMember.employee_id")},
    # HR reads every staff record (/api/v1/staff/): nothing of a person is hidden from HR.
    "district_pd": {
        ("/api/v1/enrollments/", "q", "learning.StaffMember.first_name"),
        ("/api/v1/enrollments/", "q", "learning.StaffMember.email"),
    },
    "teacher": {("/api/v1/enrollments/", "staff", "learning.StaffMember.employee_id")},
}


def test_the_walk_knows_every_list_endpoint():
    walked = {op.path for op in WALKED}

    assert walked == set(KNOWN), (
        "A list endpoint (or one taking filters) has come or gone: say in KNOWN what stands "
        f"behind its rows. New: {sorted(walked - set(KNOWN))}; gone: {sorted(set(KNOWN) - walked)}"
    )


def test_every_parameter_is_one_the_walk_understands():
    for op in WALKED:
        for param in op.params:
            kind_of(op, param)


def test_every_filterset_is_walked_through_an_endpoint():
    """The pages and feeds filter with the API's FilterSets (the catalog page and feed with
    SessionFilterSet, the leaders' pages with ProgressFilterSet): a FilterSet no endpoint uses
    would escape the walk."""
    walked = {getattr(op.view, "filterset_class", None) for op in WALKED}
    defined = {
        value
        for module in _filters_modules()
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, django_filters.FilterSet)
        and value.__module__ == module.__name__
        and value._meta.model is not None
    }

    assert defined, "no FilterSets found"
    assert defined <= walked, f"FilterSets no walked endpoint uses: {defined - walked}"


def _filters_modules() -> Iterator:
    """Each of the project's apps' `filters` module."""
    for config in apps.get_app_configs():
        if not Path(config.path).is_relative_to(settings.BASE_DIR):
            continue
        if importlib.util.find_spec(f"{config.name}.filters") is not None:
            yield importlib.import_module(f"{config.name}.filters")


@pytest.mark.parametrize("role", ROLES)
def test_no_filter_or_search_confirms_a_value_the_role_is_not_shown(probed_world, texts, role):
    result = walk(client_for(probed_world, role), texts)

    assert not result.leaks, "\n".join(result.leaks)
    tried = {(probe.path, probe.param, probe.source) for probe in result.tried}
    assert MUST_TRY.get(role, set()) <= tried, MUST_TRY[role] - tried


# The walk itself


def test_the_walk_finds_a_search_that_matches_what_the_list_hides(probed_world, texts, monkeypatch):
    """Were the enrollments' search to match employee ids on every row again (the leak that
    started this file), a facilitator's walk would report it."""

    def matching_every_employee_id(filterset, queryset, name, value):
        return queryset.filter(staff__employee_id=value)

    monkeypatch.setattr(EnrollmentFilterSet, "filter_q", matching_every_employee_id)

    result = walk(client_for(probed_world, "facilitator"), texts, paths={"/api/v1/enrollments/"})

    assert any("?q=<learning.StaffMember.employee_id" in leak for leak in result.leaks)


def test_the_walk_refuses_an_ordering_it_cannot_check():
    with pytest.raises(AssertionError, match="ordering"):
        kind_of_filter(django_filters.OrderingFilter(fields=["staff__employee_id"]))

    class OrderedEnrollments(EnrollmentViewSet):
        filter_backends = [DjangoFilterBackend, drf_filters.OrderingFilter]
        ordering_fields = ["staff__employee_id"]

    ordered = Operation("/api/v1/enrollments/", OrderedEnrollments, ("ordering",), True)
    with pytest.raises(AssertionError, match="OrderingFilter"):
        kind_of(ordered, "ordering")
