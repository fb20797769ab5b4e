"""core.ids: the one 64-bit id guard."""

import pytest
from django import forms

from core.ids import MAX_ID, IdChoiceMixin, IdMultipleChoiceMixin, beyond_id_range, id_from_text
from learning.models import Building, StaffMember

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "beyond"),
    [
        (1, False),
        (MAX_ID, False),
        (MAX_ID + 1, True),
        (0, True),
        (-3, True),
        ("12", False),
        ("9" * 30, True),
        ("abc", False),
        (None, False),
    ],
)
def test_beyond_id_range(value, beyond):
    assert beyond_id_range(value) is beyond


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("0", None),
        ("-1", None),
        ("1e3", None),
        ("١٢", None),
        ("", None),
        ("12 ", None),
    ],
)
def test_id_from_text(text, expected):
    assert id_from_text(text) == expected


class OneField(IdChoiceMixin, forms.ModelChoiceField):
    pass


class ManyField(IdMultipleChoiceMixin, forms.ModelMultipleChoiceField):
    pass


def test_an_id_beyond_the_range_is_an_invalid_choice_not_a_database_error():
    one = OneField(queryset=Building.objects.all())
    many = ManyField(queryset=Building.objects.all())

    with pytest.raises(forms.ValidationError) as caught:
        one.clean(str(MAX_ID + 1))
    assert caught.value.code == "invalid_choice"
    with pytest.raises(forms.ValidationError) as caught:
        many.clean(["1", str(MAX_ID + 1)])
    assert caught.value.code == "invalid_choice"
    assert caught.value.params == {"value": str(MAX_ID + 1)}


def test_a_relation_filtered_by_code_and_by_id_finds_the_same_rows():
    from core.filters import BlankMeansAnyFilterSet, key_and_id_filters
    from tests import factories as f

    class BuildingStaff(BlankMeansAnyFilterSet):
        building, building_id = key_and_id_filters(
            "building", Building.objects.all(), label="Building"
        )

        class Meta:
            model = StaffMember
            fields = ["building", "building_id"]

    maple, oak = f.BuildingFactory(code="maple"), f.BuildingFactory(code="oak")
    ann = f.StaffMemberFactory(building=maple)
    f.StaffMemberFactory(building=oak)
    people = StaffMember.objects.all()

    by_code = BuildingStaff({"building": "maple"}, queryset=people)
    by_id = BuildingStaff({"building_id": str(maple.pk)}, queryset=people)
    beyond = BuildingStaff({"building_id": str(MAX_ID + 1)}, queryset=people)

    assert list(by_code.qs) == list(by_id.qs) == [ann]
    assert BuildingStaff({"building": ""}, queryset=people).qs.count() == 2  # blank: any
    assert not beyond.is_valid() and "building_id" in beyond.errors
    assert by_id.filters["building_id"].label == "Building (id)"
