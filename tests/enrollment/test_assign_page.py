"""The assign page, from a requirement's "who still needs it": exactly the people who still need
it are listed and ticked; every listed person is marked with their place or completion; a
preview says what the assignment will do before anyone is enrolled or mailed; the confirmation
enrolls the people previewed and the mail says who assigned them and why."""

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxMessage
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from tests import factories as f

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's main content as words (not its title or menu)."""
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    body = re.sub(r"<[^>]+>", " ", main)
    return re.sub(r"\s+", " ", unescape(body)).strip()


@pytest.fixture
def setting(leader, building):
    today = timezone.localdate()
    year = f.PlanYearFactory(
        starts_on=today - dt.timedelta(days=100), ends_on=today + dt.timedelta(days=200)
    )
    course = f.CourseFactory(title="Restorative Practices: Foundations")
    requirement = f.RequirementFactory(
        goal=f.GoalFactory(plan_year=year),
        course=course,
        title="Restorative practices for every teacher",
        due_on=today + dt.timedelta(days=150),
    )
    teacher_position = f.PositionFactory(code="teacher", name="Teacher")
    requirement.audience_positions.set([teacher_position])
    session = f.SessionFactory(course=course, capacity=2)
    f.MeetingFactory(session=session)
    other = f.SessionFactory(course=course, capacity=20)
    f.MeetingFactory(session=other)

    def teacher(first):
        return f.StaffMemberFactory(
            building=building, position=teacher_position, first_name=first, last_name="Lane"
        )

    people = {name: teacher(name) for name in ("Ana", "Ben", "Cal", "Dee", "Eve")}
    f.CompletionFactory(staff=people["Ana"], course=course, completed_on=today)
    f.EnrollmentFactory(staff=people["Ben"], session=session)
    f.EnrollmentFactory(staff=people["Cal"], session=other)
    return {"requirement": requirement, "session": session, "people": people}


def url(setting, requirement=True):
    path = reverse("enrollment:assign", args=[setting["session"].pk])
    return f"{path}?requirement={setting['requirement'].pk}" if requirement else path


def ticked(response) -> set[str]:
    body = response.content.decode()
    return set(re.findall(r'name="people" value="(\d+)" id="[^"]+" checked', body))


def test_from_a_requirement_exactly_those_who_still_need_it_are_ticked(client, leader, setting):
    client.force_login(leader.user)
    people = setting["people"]

    page = client.get(url(setting))

    assert ticked(page) == {str(people["Dee"].pk), str(people["Eve"].pk)}
    assert "Listed and ticked: the 2 people you may assign who still need" in text(page)
    assert "Ana Lane" not in text(page) and "Ben Lane" not in text(page)


def test_the_whole_list_marks_places_and_completions(client, leader, setting):
    client.force_login(leader.user)

    page = text(client.get(url(setting, requirement=False)))

    assert re.search(r"Ana Lane — Teacher Completed \w+ \d+, \d{4}", page)
    assert "Ben Lane — Teacher Enrolled here" in page
    assert "Cal Lane — Teacher Enrolled in another session" in page
    assert re.search(r"Dee Lane — Teacher (?!Enrolled|Completed)", page)


def test_the_preview_writes_nothing_and_the_confirmation_assigns_and_mails(client, leader, setting):
    client.force_login(leader.user)
    people = setting["people"]
    chosen = [people[name].pk for name in ("Ana", "Dee", "Eve")]
    OutboxMessage.objects.all().delete()

    preview = client.post(url(setting), {"people": chosen})

    page = text(preview)
    assert preview.status_code == 200
    assert "Nobody is enrolled or mailed yet" in page
    assert "Will be enrolled 1" in page and "Will be waitlisted 1" in page
    assert "Left out 1" in page and "Left out: Ana Lane completed this course on" in page
    assert not Enrollment.objects.filter(staff_id__in=chosen).exists()
    assert not OutboxMessage.objects.exists()
    confirm = re.findall(r'name="people" value="(\d+)"', preview.content.decode())
    assert confirm == [str(people["Dee"].pk), str(people["Eve"].pk)]

    done = client.post(url(setting), {"people": confirm, "confirm": "on"})

    assert done.status_code == 200
    assert dict(
        Enrollment.objects.filter(staff_id__in=chosen).values_list("staff__first_name", "status")
    ) == {"Dee": EnrollmentStatus.ENROLLED, "Eve": EnrollmentStatus.WAITLISTED}
    bodies = " ".join(message.body for message in OutboxMessage.objects.all())
    assert (
        "Lee Leader assigned you this place for the plan's requirement “Restorative practices "
        "for every teacher”" in bodies
    )


def test_a_requirement_the_session_does_not_give_is_said_and_ticks_nobody(client, leader, setting):
    client.force_login(leader.user)
    path = reverse("enrollment:assign", args=[setting["session"].pk])

    page = client.get(f"{path}?requirement=999999")

    assert page.status_code == 200
    assert "That requirement is not one this session's course gives" in text(page)
    assert ticked(page) == set()


def test_the_page_from_a_requirement_does_not_grow_its_queries(client, leader, setting, building):
    client.force_login(leader.user)
    position = setting["people"]["Ana"].position
    client.get(url(setting))
    with CaptureQueriesContext(connection) as few:
        client.get(url(setting))
    for _ in range(25):
        someone = f.StaffMemberFactory(building=building, position=position)
        f.CompletionFactory(staff=someone)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url(setting))

    assert len(ticked(page)) == 27
    assert len(many) == len(few)


def test_who_still_needs_it_links_to_the_preselected_assignment(client, leader, setting):
    client.force_login(leader.user)

    body = client.get(reverse("leaders:outstanding")).content.decode()

    assert f"{url(setting)}" in body.replace("&amp;", "&")
    assert "Assign the 2 missing" in text(client.get(reverse("leaders:outstanding")))


def test_the_results_link_each_person_to_their_transcript(client, leader, setting):
    client.force_login(leader.user)
    dee = setting["people"]["Dee"]

    done = client.post(url(setting), {"people": [dee.pk], "confirm": "on"})
    transcript_url = reverse("enrollment:staff-transcript", args=[dee.pk])

    assert f'href="{transcript_url}"' in done.content.decode()
    page = client.get(transcript_url)
    assert page.status_code == 200
    assert "Transcript : Dee Lane" in text(page)
    assert reverse("enrollment:transcript-xlsx") not in page.content.decode()


def test_a_transcript_is_not_there_for_another_building_s_leader(client, leader, other_building):
    stranger = f.StaffMemberFactory(building=other_building)
    client.force_login(leader.user)

    assert client.get(reverse("enrollment:staff-transcript", args=[stranger.pk])).status_code == 404
    assert client.get(reverse("enrollment:staff-transcript", args=[999999])).status_code == 404


def test_a_group_s_requirement_ticks_only_its_members(client, leader, setting):
    requirement = setting["requirement"]
    cohort = f.StaffGroupFactory()
    people = setting["people"]
    cohort.members.add(people["Eve"], people["Ana"])
    requirement.audience_groups.set([cohort])
    client.force_login(leader.user)

    page = client.get(url(setting))

    # Ana has completed it; of the group only Eve still needs it.
    assert ticked(page) == {str(people["Eve"].pk)}
