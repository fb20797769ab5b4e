"""The demo district: Birmingham Public Schools and its "BPS, Better Together" plan.

`seed_demo` builds it. This module holds the content (plain data near the top) and the code
that writes it (below). The demo is placed around the day it is built: the plan's middle year is
the school year containing today, and most sessions sit in the weeks before and after today, so
every page has history and upcoming sessions. Only the strategic planning task force's meetings
of early 2022 keep their real dates. Every choice comes from one seeded `random.Random`, so two
builds at the same moment write the same district (all but the meetings' calendar UIDs and the
completions' verification codes, which the models draw themselves and must stay unguessable).

The buildings, people and addresses are synthetic; only the district, its plan, its goals and
the Education Administration Building come from the district's own pages.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, ProtectedError, Q, RestrictedError
from django.utils import timezone

from calendars.models import FeedToken
from catalog.choices import CourseFormat, MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session, Strand
from enrollment.choices import CompletionSource, EnrollmentSource, EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment, Evaluation

from .access import DISTRICT_PD_GROUP, HR_GROUP
from .choices import BuildingKind, GroupKind, PositionCategory, RequirementKind, StaffStatus
from .models import (
    Building,
    Goal,
    Plan,
    PlanYear,
    Position,
    Requirement,
    StaffGroup,
    StaffMember,
)

# --------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------

PLAN_SLUG = "bps-better-together"
PASSWORD = "better-together"
EMAIL_DOMAIN = "demo.bps.example"
RANDOM_SEED = 20220105  # the day of Advisory Committee Workshop 1
VIRTUAL_URL = "https://meet.demo.bps.example/pl/{code}-{number}"

PLAN_NAME = "BPS, Better Together"
PLAN_DESCRIPTION = (
    "BPS, Better Together is a way forward for our school district as we recover from the "
    "Covid-19 pandemic and the impact it has had on our staff, students and community. It aligns "
    "the district's work on diversity, equity and inclusion, character education and "
    "social-emotional learning into one cohesive plan, so that all staff and children feel like "
    "they belong. This is its three-year professional learning plan for leaders and teachers."
)

EAB = "eab"

# (code, name, category)
POSITIONS = (
    ("teacher", "Teacher", PositionCategory.TEACHER),
    ("special-education-teacher", "Special Education Teacher", PositionCategory.TEACHER),
    ("instructional-coach", "Instructional Coach", PositionCategory.TEACHER),
    ("counselor", "Counselor", PositionCategory.SUPPORT),
    ("social-worker", "Social Worker", PositionCategory.SUPPORT),
    ("school-psychologist", "School Psychologist", PositionCategory.SUPPORT),
    ("paraprofessional", "Paraprofessional", PositionCategory.SUPPORT),
    ("secretary", "Secretary", PositionCategory.SUPPORT),
    ("principal", "Principal", PositionCategory.LEADER),
    ("assistant-principal", "Assistant Principal", PositionCategory.LEADER),
    ("superintendent", "Superintendent", PositionCategory.CENTRAL_OFFICE),
    (
        "director-professional-learning",
        "Director of Professional Learning",
        PositionCategory.CENTRAL_OFFICE,
    ),
    ("pl-coordinator", "Professional Learning Coordinator", PositionCategory.CENTRAL_OFFICE),
    ("hr-specialist", "HR Specialist", PositionCategory.CENTRAL_OFFICE),
)


@dataclass(frozen=True)
class BuildingSpec:
    code: str
    name: str
    kind: str
    address: str
    staff: int
    is_demo: bool = True


BUILDINGS = (
    BuildingSpec(
        EAB,
        "Education Administration Building",
        BuildingKind.ADMINISTRATION,
        "31301 Evergreen Road, Beverly Hills, MI 48025",
        42,
        # The district's own building, named on its pages; --reset still removes it.
        is_demo=False,
    ),
    BuildingSpec(
        "maple", "Maple Elementary", BuildingKind.ELEMENTARY,
        "1420 Linden Court, Birmingham, MI 48009", 28,
    ),
    BuildingSpec(
        "cedar-grove", "Cedar Grove Elementary", BuildingKind.ELEMENTARY,
        "2275 Wexford Lane, Birmingham, MI 48009", 28,
    ),
    BuildingSpec(
        "willow-creek", "Willow Creek Elementary", BuildingKind.ELEMENTARY,
        "18640 Kestrel Drive, Beverly Hills, MI 48025", 28,
    ),
    BuildingSpec(
        "birchwood", "Birchwood Elementary", BuildingKind.ELEMENTARY,
        "3910 Ashcombe Road, Bloomfield Hills, MI 48302", 28,
    ),
    BuildingSpec(
        "hawthorn", "Hawthorn Elementary", BuildingKind.ELEMENTARY,
        "655 Larkspur Street, Birmingham, MI 48009", 28,
    ),
    BuildingSpec(
        "lakeview", "Lakeview Elementary", BuildingKind.ELEMENTARY,
        "5120 Heron Bay Drive, Bloomfield Township, MI 48301", 28,
    ),
    BuildingSpec(
        "meadowbrook", "Meadowbrook Elementary", BuildingKind.ELEMENTARY,
        "21415 Fenwick Avenue, Beverly Hills, MI 48025", 28,
    ),
    BuildingSpec(
        "sycamore", "Sycamore Elementary", BuildingKind.ELEMENTARY,
        "980 Thornbury Court, Birmingham, MI 48009", 28,
    ),
    BuildingSpec(
        "fox-hollow", "Fox Hollow Elementary", BuildingKind.ELEMENTARY,
        "6735 Bramblewood Lane, Bloomfield Township, MI 48301", 28,
    ),
    BuildingSpec(
        "quarry-ridge", "Quarry Ridge Middle", BuildingKind.MIDDLE,
        "4400 Stonemill Road, Bloomfield Hills, MI 48304", 52,
    ),
    BuildingSpec(
        "stonegate", "Stonegate Middle", BuildingKind.MIDDLE,
        "1250 Aldergate Avenue, Birmingham, MI 48009", 52,
    ),
    BuildingSpec(
        "riverbend", "Riverbend High", BuildingKind.HIGH,
        "2100 Riverbend Parkway, Birmingham, MI 48009", 92,
    ),
    BuildingSpec(
        "northfield", "Northfield High", BuildingKind.HIGH,
        "19800 Northfield Drive, Beverly Hills, MI 48025", 92,
    ),
    BuildingSpec(
        "pathways", "Pathways Alternative High", BuildingKind.ALTERNATIVE,
        "870 Commonwealth Street, Birmingham, MI 48009", 18,
    ),
)  # fmt: skip

# Who works in a building of each kind, besides its teachers (who fill the rest of its staff).
STAFFING = {
    BuildingKind.ELEMENTARY: (
        ("principal", 1), ("counselor", 1), ("social-worker", 1), ("secretary", 2),
        ("instructional-coach", 1), ("special-education-teacher", 2), ("paraprofessional", 4),
    ),
    BuildingKind.MIDDLE: (
        ("principal", 1), ("assistant-principal", 1), ("counselor", 2), ("social-worker", 1),
        ("school-psychologist", 1), ("secretary", 3), ("instructional-coach", 1),
        ("special-education-teacher", 4), ("paraprofessional", 5),
    ),
    BuildingKind.HIGH: (
        ("principal", 1), ("assistant-principal", 2), ("counselor", 4), ("social-worker", 1),
        ("school-psychologist", 1), ("secretary", 4), ("instructional-coach", 1),
        ("special-education-teacher", 6), ("paraprofessional", 6),
    ),
    BuildingKind.ALTERNATIVE: (
        ("principal", 1), ("counselor", 1), ("social-worker", 1), ("secretary", 1),
        ("special-education-teacher", 2), ("paraprofessional", 2),
    ),
    # District coaches, itinerant specialists and the offices; the rest are itinerant teachers.
    BuildingKind.ADMINISTRATION: (
        ("superintendent", 1), ("director-professional-learning", 1), ("pl-coordinator", 3),
        ("hr-specialist", 4), ("secretary", 6), ("instructional-coach", 8),
        ("school-psychologist", 4), ("social-worker", 3), ("special-education-teacher", 4),
    ),
}  # fmt: skip

FIRST_NAMES = (
    "Aaliyah", "Abdullah", "Adriana", "Aisha", "Alejandro", "Amara", "Amir", "Andrea", "Angela",
    "Anjali", "Ayesha", "Beatriz", "Benjamin", "Brianna", "Caleb", "Camila", "Carlos", "Chen",
    "Chloé", "Daniel", "Darnell", "Deepa", "Diego", "Dmitri", "Elena", "Elijah", "Emily", "Emma",
    "Esperanza", "Fatima", "François", "Gabriel", "Hana", "Hannah", "Hiroshi", "Ibrahim",
    "Imani", "Isabel", "Jamal", "Jasmine", "Javier", "Jennifer", "Jessica", "José", "Joseph",
    "Kateryna", "Katherine", "Keisha", "Kenji", "Kwame", "Laura", "Layla", "Leila", "Liam",
    "Lindsey", "Lucía", "Malik", "María", "Marcus", "Megan", "Mei", "Michael", "Miguel",
    "Mohammed", "Nadia", "Noah", "Olga", "Omar", "Rafael", "Rashida", "Renée", "Robert", "Rosa",
    "Samuel", "Santiago", "Sarah", "Siobhan", "Sofia", "Søren", "Tamika", "Thomas", "Trinh",
    "Valentina", "William", "Xavier", "Yusuf", "Zainab", "Zoë",
)  # fmt: skip

LAST_NAMES = (
    "Abdi", "Adeyemi", "Ahmed", "Alvarez", "Anderson", "Bailey", "Banerjee", "Bell", "Brooks",
    "Campbell", "Castillo", "Chen", "Cohen", "Coleman", "D'Angelo", "Davis", "Díaz", "Dubois",
    "Edwards", "Fernández", "Fitzgerald", "García", "Goldberg", "Gonzalez", "Green", "Haddad",
    "Hall", "Hernández", "Hoang", "Hughes", "Ibrahim", "Jackson", "Jensen", "Johnson",
    "Kaminski", "Kapoor", "Kim", "Kowalski", "Lee", "Lewis", "López", "Martin", "Martínez",
    "McAllister", "Mensah", "Miller", "Mitchell", "Moreno", "Müller", "Murphy", "Nakamura",
    "Nguyễn", "Novak", "Núñez", "O'Brien", "O'Connor", "Okafor", "Patel", "Perez", "Petrov",
    "Ramírez", "Reyes", "Robinson", "Rossi", "Said", "Schmidt", "Shah", "Singh",
    "Sullivan", "Tanaka", "Taylor", "Thompson", "Torres", "Walker", "Washington", "White",
    "Williams", "Wilson", "Wójcik", "Yamamoto", "Young", "Zhang",
)  # fmt: skip

PREFERRED_NAMES = {
    "Benjamin": "Ben",
    "Daniel": "Dan",
    "Jennifer": "Jen",
    "Katherine": "Kate",
    "Michael": "Mike",
    "Robert": "Rob",
    "Samuel": "Sam",
    "William": "Will",
}


class DemoRole(StrEnum):
    """The demo logins, one per role of DESIGN.md; the value is the username."""

    TEACHER = "teacher"
    FACILITATOR = "facilitator"
    LEADER = "leader"
    DISTRICT_PD = "districtpd"
    HR = "hr"
    ADMIN = "admin"


ROLE_LABELS = {
    DemoRole.TEACHER: "Teacher",
    DemoRole.FACILITATOR: "Facilitator",
    DemoRole.LEADER: "Building leader",
    DemoRole.DISTRICT_PD: "District PD",
    DemoRole.HR: "HR",
    DemoRole.ADMIN: "Administrator",
}


@dataclass(frozen=True)
class DemoPerson:
    """A staff member behind a demo login."""

    role: DemoRole
    first_name: str
    last_name: str
    position: str
    building: str
    years_of_service: int
    auth_groups: tuple[str, ...] = ()


DEMO_PEOPLE = (
    DemoPerson(DemoRole.TEACHER, "Maya", "Thompson", "teacher", "maple", 8),
    DemoPerson(DemoRole.FACILITATOR, "Rafael", "Núñez", "instructional-coach", EAB, 12),
    DemoPerson(DemoRole.LEADER, "Grace", "Okafor", "principal", "maple", 15),
    DemoPerson(
        DemoRole.DISTRICT_PD, "Denise", "Carter", "director-professional-learning", EAB, 18,
        auth_groups=(DISTRICT_PD_GROUP,),
    ),
    DemoPerson(DemoRole.HR, "Priya", "Shah", "hr-specialist", EAB, 6, auth_groups=(HR_GROUP,)),
)  # fmt: skip


@dataclass(frozen=True)
class StrandSpec:
    code: str
    name: str
    colour: str
    description: str


# Colours are distinct hues, each at least 5:1 against white text.
STRANDS = (
    StrandSpec(
        "crt", "Culturally Responsive Teaching", "#1f5f8b",
        "Teaching that sees, values and builds on every student's culture and identity, and holds "
        "every student to high expectations.",
    ),
    StrandSpec(
        "rp", "Restorative Practices", "#2e7d32",
        "Building, keeping and repairing relationships: community circles, restorative "
        "conversations and conferences instead of exclusion.",
    ),
    StrandSpec(
        "sel", "Social Emotional Learning", "#6a1b9a",
        "How students and adults manage emotions, persevere, and feel they belong; the culture "
        "and climate survey that measures it.",
    ),
    StrandSpec(
        "ce", "Character Education", "#a3461a",
        '"Intelligence plus character: that is the goal of true education." Character education '
        "in every building, aligned with SEL and equity work.",
    ),
    StrandSpec(
        "dei", "Diversity, Equity and Inclusion", "#ad1457",
        "Celebrating diversity, the Equity Audit, and preventing and responding to hate and bias "
        "through the district's reporting plan.",
    ),
    StrandSpec(
        "task-force", "Strategic Plan Task Force", "#455a64",
        "Workshops of the Core Design Team, Advisory Committee and Review Committee, and the "
        "BPS, Better Together steering committee.",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class CourseSpec:
    code: str
    title: str
    strand: str
    clock_hours: str
    summary: str
    format: str = CourseFormat.IN_PERSON
    prerequisites: tuple[str, ...] = ()
    evaluation_required: bool = False
    requires_approval: bool = False


COURSES = (
    CourseSpec(
        "crt-101", "Culturally Responsive Teaching: Foundations", "crt", "6",
        "What culturally responsive teaching is and why it matters in Birmingham classrooms. "
        "Participants examine their own lens and plan one change to a unit they teach.",
        evaluation_required=True,
    ),
    CourseSpec(
        "crt-201", "Culturally Responsive Teaching: Classroom Practice", "crt", "8",
        "Four after-school meetings that put the foundations to work: high expectations, "
        "relevant texts and student voice, with lesson study between meetings.",
        prerequisites=("crt-101",), evaluation_required=True,
    ),
    CourseSpec(
        "crt-301", "Culturally Responsive Teaching: Coaching Cycles", "crt", "6",
        "A coaching cycle with an instructional coach over three months: goal, observation, "
        "student work, reflection. Substitute coverage is arranged by the building.",
        format=CourseFormat.HYBRID, prerequisites=("crt-201",), evaluation_required=True,
        requires_approval=True,
    ),
    CourseSpec(
        "crl-101", "Culturally Responsive Leadership", "crt", "6",
        "For principals and assistant principals: leading equity-focused school improvement, "
        "reading opportunity gaps in building data and supporting teachers' practice.",
    ),
    CourseSpec(
        "rp-101", "Restorative Practices: Foundations", "rp", "3",
        "The restorative mindset, affective statements and questions, and the continuum from "
        "informal conversations to formal conferences.",
    ),
    CourseSpec(
        "rp-201", "Restorative Practices: Circles in the Classroom", "rp", "2",
        "Running community-building and academic circles; practising as a circle keeper.",
        prerequisites=("rp-101",),
    ),
    CourseSpec(
        "rp-301", "Restorative Practices: Facilitating Restorative Conferences", "rp", "6",
        "Preparing and facilitating a formal restorative conference after harm, and following "
        "up on the agreement.",
        prerequisites=("rp-201",), evaluation_required=True,
    ),
    CourseSpec(
        "sel-101", "Social Emotional Learning: Foundations", "sel", "1.5",
        "The five SEL competencies and how they show up in every classroom, office and hallway.",
        format=CourseFormat.VIRTUAL,
    ),
    CourseSpec(
        "sel-201", "Supporting Students Through Trauma", "sel", "3",
        "Trauma-informed practice for counselors, social workers and psychologists: recognising "
        "stress responses, de-escalation and referral pathways.",
    ),
    CourseSpec(
        "sel-210", "Adult SEL and Staff Well-Being", "sel", "1.5",
        "Caring for the adults who care for students: stress, boundaries and belonging at work.",
        format=CourseFormat.VIRTUAL,
    ),
    CourseSpec(
        "sel-220", "Culture and Climate Survey: Reading the Results", "sel", "3",
        "Reading the district's culture and climate survey: belonging, high expectations and "
        "perseverance, and turning the results into school improvement actions.",
    ),
    CourseSpec(
        "ce-101", "Character Education: Intelligence Plus Character", "ce", "2",
        "The district's character education framework and how it aligns with SEL and equity, "
        "with ready-to-use morning meeting and advisory lessons.",
    ),
    CourseSpec(
        "ce-201", "Character Education Through Service Learning", "ce", "4",
        "Designing a service-learning project with community partners that lets students "
        "practise the character traits they study.",
        prerequisites=("ce-101",),
    ),
    CourseSpec(
        "dei-110", "Hate and Bias Reporting Plan", "dei", "1.5",
        "Required for all staff: recognising, interrupting and reporting incidents of hate and "
        "bias, and supporting the students involved.",
        format=CourseFormat.VIRTUAL,
    ),
    CourseSpec(
        "dei-150", "Celebrating Diversity: Identity, Affinity and Belonging", "dei", "2",
        "Celebrating the beauty and joy of diversity in our district and community; planning "
        "heritage celebrations and affinity spaces with families.",
    ),
    CourseSpec(
        "dei-201", "Equity Audit: Reading Your School's Data", "dei", "3",
        "What the district's Equity Audit found and how to read your building's opportunity "
        "gaps in the school improvement plan.",
    ),
    CourseSpec(
        "bt-institute", "Better Together Summer Institute", "dei", "18",
        "Three days that bring equity, character education and social-emotional learning "
        "together. Stipend paid for each day attended; enrollment needs your leader's approval.",
        evaluation_required=True, requires_approval=True,
    ),
    CourseSpec(
        "tf-advisory", "Strategic Planning: Advisory Committee", "task-force", "3",
        "Workshops of the Advisory Committee: foundation statements, priorities, core values, "
        "goals and action steps for the district's strategic plan.",
    ),
    CourseSpec(
        "tf-review", "Strategic Planning: Review Committee", "task-force", "2",
        "The Review Committee reviews the Advisory Committee's drafts and recommends revisions "
        "to the Core Design Team.",
    ),
    CourseSpec(
        "tf-design", "Strategic Planning: Core Design Team", "task-force", "2",
        "Key decision-makers plan the process, finalise the Advisory Committee's recommendations "
        "and author the action plan.",
    ),
    CourseSpec(
        "tf-steering", "BPS, Better Together Steering Committee", "task-force", "15",
        "The former Diversity and Character Education steering committees, aligned with SEL: "
        "monthly meetings that steer the plan across the district.",
    ),
)  # fmt: skip

COURSE_CODES = tuple(course.code for course in COURSES)


@dataclass(frozen=True)
class GroupSpec:
    """A staff group; members are the listed demo people plus people drawn by position."""

    slug: str
    name: str
    kind: str
    description: str
    demo_members: tuple[DemoRole, ...] = ()
    draws: tuple[tuple[tuple[str, ...], int], ...] = ()
    # Members of the 2022 task force must have been working for the district by then.
    hired_before: date | None = None
    # Task force groups do not share members.
    exclusive: bool = False


TASK_FORCE_FORMED = date(2021, 11, 1)
CLASSROOM = ("teacher", "special-education-teacher")
TEACHING = (*CLASSROOM, "instructional-coach")
ADMINISTRATORS = ("principal", "assistant-principal")
STUDENT_SUPPORT = ("counselor", "social-worker", "school-psychologist")
NEW_TEACHER_COHORT = "new-teacher-cohort"

GROUPS = (
    GroupSpec(
        "core-design-team", "Core Design Team", GroupKind.TEAM,
        "Key decision-makers responsible for planning the design of the strategic plan process. "
        "The team finalises recommendations from the Advisory Committee, incorporates feedback "
        "from the Review Committee, and authors the action plan designed to achieve the "
        "strategic plan goals.",
        demo_members=(DemoRole.DISTRICT_PD,),
        draws=(
            (("superintendent",), 1), (("pl-coordinator",), 1), (("principal",), 3),
            (("assistant-principal",), 1), (("hr-specialist",), 1),
        ),
        hired_before=TASK_FORCE_FORMED, exclusive=True,
    ),
    GroupSpec(
        "advisory-committee", "Advisory Committee", GroupKind.COMMITTEE,
        "29 key stakeholders such as school administrators, teachers, parents, community "
        "members and affinity groups. The committee works together to draft and recommend key "
        "foundation statements, district priorities, core values, goals, and action steps.",
        draws=(
            (ADMINISTRATORS, 4), (TEACHING, 18), (STUDENT_SUPPORT, 4), (("paraprofessional",), 3),
        ),
        hired_before=TASK_FORCE_FORMED, exclusive=True,
    ),
    GroupSpec(
        "review-committee", "Review Committee", GroupKind.COMMITTEE,
        "29 key stakeholders such as school administrators, teachers, parents, community "
        "members and affinity groups. The committee reviews draft documents produced by the "
        "Advisory Committee and recommends revisions and enhancements to the Core Design Team.",
        draws=(
            (ADMINISTRATORS, 3), (TEACHING, 18), (STUDENT_SUPPORT, 4),
            (("paraprofessional", "secretary"), 4),
        ),
        hired_before=TASK_FORCE_FORMED, exclusive=True,
    ),
    GroupSpec(
        "better-together-steering", "Better Together Steering Committee", GroupKind.COMMITTEE,
        "The Diversity and Character Education steering committees, aligned with "
        "social-emotional learning as the BPS, Better Together steering committee. Meets "
        "monthly.",
        demo_members=(
            DemoRole.TEACHER, DemoRole.FACILITATOR, DemoRole.LEADER, DemoRole.DISTRICT_PD,
        ),
        draws=(
            (("principal",), 2), (("counselor",), 2), (("social-worker",), 1), (TEACHING, 4),
            (("paraprofessional",), 1), (("pl-coordinator",), 1),
        ),
    ),
    GroupSpec(
        NEW_TEACHER_COHORT, "New Teacher Cohort", GroupKind.COHORT,
        "Teachers in their first year with the district: the Better Together foundations in "
        "their first year, with a mentor in their building.",
    ),
)  # fmt: skip

GROUP_SLUGS = tuple(group.slug for group in GROUPS)


@dataclass(frozen=True)
class RequirementSpec:
    title: str
    due: tuple[int, int]  # (month, day) within the plan year
    target_percent: int
    course: str | None = None
    strand: str | None = None
    clock_hours: str | None = None
    categories: tuple[str, ...] = ()
    positions: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    count_earlier: bool = False


@dataclass(frozen=True)
class GoalSpec:
    year: int  # 0, 1 or 2: the plan's first, middle or last year
    title: str
    description: str
    requirements: tuple[RequirementSpec, ...]


# The goals are the plan's short-term goals (better-together.txt), spread over three years.
GOALS = (
    GoalSpec(
        0,
        "Build a 3-year BPS, Better Together professional learning plan for leaders and teachers",
        "Build upon the foundation of past professional learning to create a 3-year BPS, Better "
        "Together professional learning plan for leaders and teachers.",
        (
            RequirementSpec(
                "90% of teachers complete Culturally Responsive Teaching: Foundations",
                (6, 30), 90, course="crt-101", categories=(PositionCategory.TEACHER,),
            ),
            RequirementSpec(
                "100% of building leaders complete Culturally Responsive Leadership",
                (6, 30), 100, course="crl-101", categories=(PositionCategory.LEADER,),
            ),
        ),
    ),
    GoalSpec(
        0,
        "Reduce and eliminate incidents of hate and bias",
        "Proactively work to reduce and eliminate incidents of hate and bias from our schools "
        "and be prepared to respond when they occur.",
        (
            RequirementSpec(
                "100% of all staff complete the Hate and Bias Reporting Plan training",
                (10, 31), 100, course="dei-110",
            ),
        ),
    ),
    GoalSpec(
        0,
        "Embed opportunity gaps in school improvement planning",
        "Reorient the school improvement planning process to deeply embed addressing "
        "opportunity gaps in addition to climate and culture needs specific to each school "
        "building.",
        (
            RequirementSpec(
                "100% of building leaders complete the Equity Audit training",
                (3, 31), 100, course="dei-201", categories=(PositionCategory.LEADER,),
            ),
        ),
    ),
    GoalSpec(
        1,
        "Align DEI, character education and SEL into one cohesive plan",
        "Reimagine and align the work of diversity, equity and inclusion, character education "
        "and social-emotional learning to present a cohesive plan that addresses inequities "
        "while meeting the academic, behavioral and social-emotional needs of all learners.",
        (
            RequirementSpec(
                "80% of teachers and support staff complete Restorative Practices: Foundations",
                (6, 30), 80, course="rp-101",
                categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT),
                count_earlier=True,
            ),
            RequirementSpec(
                "Counselors and social workers earn 6 clock hours in Social Emotional Learning",
                (6, 30), 100, strand="sel", clock_hours="6",
                positions=("counselor", "social-worker"),
            ),
        ),
    ),
    GoalSpec(
        1,
        "Build upon past professional learning: new teachers join the foundations",
        "Teachers new to the district complete the Culturally Responsive Teaching foundations "
        "with their cohort in their first year.",
        (
            RequirementSpec(
                "Every new teacher completes Culturally Responsive Teaching: Foundations",
                (6, 30), 100, course="crt-101", groups=(NEW_TEACHER_COHORT,),
            ),
        ),
    ),
    GoalSpec(
        1,
        "Select and implement a culture and climate survey",
        "Select and implement a culture and climate survey to measure students' sense of "
        "belonging, how much students feel their teachers hold them to high expectations, and "
        "how students persevere, manage emotions and believe they can succeed.",
        (
            RequirementSpec(
                "Leaders and counselors learn to read the culture and climate survey",
                (3, 31), 90, course="sel-220",
                categories=(PositionCategory.LEADER,), positions=("counselor",),
            ),
        ),
    ),
    GoalSpec(
        1,
        "Celebrate the beauty and joy of diversity",
        "Celebrate the beauty and joy of diversity within our district and community.",
        (
            RequirementSpec(
                "A quarter of all staff take part in Celebrating Diversity",
                (6, 30), 25, course="dei-150", count_earlier=True,
            ),
        ),
    ),
    GoalSpec(
        2,
        "Intelligence plus character: character education in every building",
        '"Intelligence plus character: that is the goal of true education." Consistently '
        "implement the aligned character education plan across the district.",
        (
            RequirementSpec(
                "75% of all staff complete Character Education: Intelligence Plus Character",
                (6, 30), 75, course="ce-101", count_earlier=True,
            ),
        ),
    ),
    GoalSpec(
        2,
        "Culturally responsive teaching in every classroom",
        "Prepare the field to consistently implement the plan: culturally responsive practice "
        "in every classroom, supported by coaching.",
        (
            RequirementSpec(
                "Half of all teachers complete Culturally Responsive Teaching: Classroom Practice",
                (6, 30), 50, course="crt-201", categories=(PositionCategory.TEACHER,),
                count_earlier=True,
            ),
        ),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Slot:
    """Local start and end of a meeting, and the clock hours it earns (lunch not counted)."""

    starts: time
    ends: time
    hours: Decimal


AFTER_SCHOOL = Slot(time(15, 45), time(17, 15), Decimal("1.5"))
AFTER_SCHOOL_LONG = Slot(time(16, 0), time(18, 0), Decimal("2"))
PD_DAY = Slot(time(8, 30), time(15, 30), Decimal("6"))
PD_HALF_DAY = Slot(time(8, 30), time(11, 30), Decimal("3"))
ALL_STAFF_LAUNCH = Slot(time(8, 30), time(10, 0), Decimal("1.5"))
VIRTUAL_EVENING = Slot(time(18, 30), time(20, 0), Decimal("1.5"))
INSTITUTE_DAY = Slot(time(8, 30), time(15, 0), Decimal("6"))
COMMITTEE_WORKSHOP = Slot(time(17, 0), time(20, 0), Decimal("3"))
COMMITTEE_REVIEW = Slot(time(17, 0), time(19, 0), Decimal("2"))
STEERING_MEETING = Slot(time(16, 0), time(17, 30), Decimal("1.5"))

MON, TUE, WED, THU, FRI, SAT = range(6)


@dataclass(frozen=True)
class AroundToday:
    """So many days from today, moved to the nearest Tuesday-Thursday away from today."""

    days: int


@dataclass(frozen=True)
class InPlanYear:
    """The nth weekday of a month of a plan year (0, 1, 2); nth -1 is the last."""

    year: int
    month: int
    weekday: int
    nth: int


@dataclass(frozen=True)
class OnDate:
    """A real date from the district's pages."""

    day: date


class Cadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    FOUR_WEEKLY = "four_weekly"
    MONTHLY = "monthly"  # the same nth weekday of each following month


@dataclass(frozen=True)
class SessionSpec:
    """One offering, placed by `when`; who takes part is drawn when the demo is built."""

    course: str
    when: AroundToday | InPlanYear | OnDate
    slot: Slot
    capacity: int
    title: str = ""
    meetings: int = 1
    cadence: Cadence = Cadence.WEEKLY
    building: str | None = None
    room: str = ""
    virtual: bool = False
    status: str = SessionStatus.PUBLISHED
    group: str | None = None  # restricted to this group, and its members are the audience
    whole_group: bool = False  # every member of the group takes part
    # Audience when there is no group: position categories and/or position codes; none = all.
    categories: tuple[str, ...] = ()
    positions: tuple[str, ...] = ()
    fill: float = 0.85  # share of the seats taken (of the audience, when it is smaller)
    seats_left: int | None = None  # exactly so many seats left (0 = full)
    waitlist: int = 0
    pending: int = 0
    absent_rate: float = 0.07  # past sessions: share who missed a meeting (incomplete)
    facilitators: tuple[str, ...] = ()  # demo roles or position codes
    demo_enrolled: tuple[DemoRole, ...] = ()
    demo_waitlisted: tuple[DemoRole, ...] = ()
    registration_days: int = 60  # registration opens so many days before the first meeting
    notes: str = ""


WORKSHOP_1_NOTES = (
    "Together with Hanover Research and the Superintendent, the committee worked on four "
    "essential questions: which steps are indispensable to strategic planning; how the vision "
    "and mission drive cycles of planning; which environmental and contextual factors will "
    "matter most; and how each stakeholder group should be involved. Homework: confirm and "
    "define the top 5 focus values, draft a vision statement, and draft a mission as the "
    "roadmap to it."
)
CANCELLED_NOTES = "Cancelled: the facilitator is unavailable. Please choose another date."
CANCELLED_REASON = "The session was cancelled; please choose another date."
INSTITUTE_NOTES = "Stipend paid for each day attended. Breakfast and lunch provided."

EAB_PL_CENTER = "Professional Learning Center"
EAB_BOARD_ROOM = "Board Room"

SESSIONS = (
    # The strategic planning task force, with the real date of Advisory Committee Workshop 1.
    SessionSpec(
        "tf-design", OnDate(date(2021, 12, 8)), AFTER_SCHOOL_LONG, 12, title="Process design",
        building=EAB, room=EAB_BOARD_ROOM, group="core-design-team", whole_group=True,
        absent_rate=0, facilitators=("superintendent",), registration_days=21,
    ),
    SessionSpec(
        "tf-advisory", OnDate(date(2022, 1, 5)), COMMITTEE_WORKSHOP, 35, title="Workshop 1",
        building=EAB, room=EAB_BOARD_ROOM, group="advisory-committee", whole_group=True,
        absent_rate=0, facilitators=("superintendent", DemoRole.DISTRICT_PD),
        registration_days=21, notes=WORKSHOP_1_NOTES,
    ),
    SessionSpec(
        "tf-design", OnDate(date(2022, 1, 19)), AFTER_SCHOOL_LONG, 12,
        title="Recommendations from Workshop 1", building=EAB, room=EAB_BOARD_ROOM,
        group="core-design-team", whole_group=True, absent_rate=0,
        facilitators=("superintendent",), registration_days=21,
    ),
    SessionSpec(
        "tf-advisory", OnDate(date(2022, 2, 2)), COMMITTEE_WORKSHOP, 35, title="Workshop 2",
        building=EAB, room=EAB_BOARD_ROOM, group="advisory-committee", whole_group=True,
        absent_rate=0.1, facilitators=("superintendent", DemoRole.DISTRICT_PD),
        registration_days=21,
    ),
    SessionSpec(
        "tf-review", OnDate(date(2022, 2, 23)), COMMITTEE_REVIEW, 35, title="Review of drafts",
        building=EAB, room=EAB_BOARD_ROOM, group="review-committee", whole_group=True,
        absent_rate=0.1, facilitators=(DemoRole.DISTRICT_PD, "pl-coordinator"),
        registration_days=21,
    ),
    SessionSpec(
        "tf-design", OnDate(date(2022, 3, 9)), AFTER_SCHOOL_LONG, 12, title="Action plan",
        building=EAB, room=EAB_BOARD_ROOM, group="core-design-team", whole_group=True,
        absent_rate=0, facilitators=("superintendent",), registration_days=21,
    ),
    # The plan's first year: all in the past.
    SessionSpec(
        "dei-110", InPlanYear(0, 8, MON, 4), ALL_STAFF_LAUNCH, 600, title="All-staff launch",
        virtual=True, fill=0.93, facilitators=(DemoRole.DISTRICT_PD, "pl-coordinator"),
        demo_enrolled=(DemoRole.TEACHER, DemoRole.LEADER, DemoRole.FACILITATOR, DemoRole.HR),
    ),
    SessionSpec(
        "crt-101", InPlanYear(0, 8, TUE, 4), PD_DAY, 150, title="August PD day",
        building="riverbend", room="Auditorium", categories=(PositionCategory.TEACHER,),
        fill=0.9, facilitators=("instructional-coach", "instructional-coach"),
        demo_enrolled=(DemoRole.TEACHER,),
    ),
    SessionSpec(
        "crt-101", InPlanYear(0, 8, TUE, 4), PD_DAY, 150, title="August PD day",
        building="northfield", room="Little Theater", categories=(PositionCategory.TEACHER,),
        fill=0.9, facilitators=(DemoRole.FACILITATOR, "instructional-coach"),
    ),
    SessionSpec(
        "crl-101", InPlanYear(0, 10, THU, 1), PD_DAY, 30, building=EAB, room=EAB_PL_CENTER,
        categories=(PositionCategory.LEADER,), fill=0.85, facilitators=(DemoRole.DISTRICT_PD,),
        demo_enrolled=(DemoRole.LEADER,),
    ),
    SessionSpec(
        "dei-110", InPlanYear(0, 10, WED, 2), AFTER_SCHOOL, 80, title="Make-up session",
        virtual=True, fill=0.9, facilitators=("pl-coordinator",),
    ),
    SessionSpec(
        "crt-101", InPlanYear(0, 11, TUE, 1), PD_DAY, 100, title="November PD day",
        building="quarry-ridge", room="Media Center", categories=(PositionCategory.TEACHER,),
        fill=0.9, facilitators=("instructional-coach",),
    ),
    SessionSpec(
        "rp-101", InPlanYear(0, 11, TUE, 1), PD_HALF_DAY, 150, title="November PD day",
        building="stonegate", room="Cafetorium",
        categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT), fill=0.9,
        facilitators=("social-worker", "counselor"),
    ),
    SessionSpec(
        "sel-210", InPlanYear(0, 12, WED, 1), VIRTUAL_EVENING, 80, virtual=True, fill=0.8,
        facilitators=("school-psychologist",),
    ),
    SessionSpec(
        "dei-201", InPlanYear(0, 1, THU, 2), PD_HALF_DAY, 30, building=EAB, room=EAB_PL_CENTER,
        categories=(PositionCategory.LEADER,), fill=0.85, facilitators=(DemoRole.DISTRICT_PD,),
        demo_enrolled=(DemoRole.LEADER,),
    ),
    SessionSpec(
        "sel-101", InPlanYear(0, 1, WED, 3), VIRTUAL_EVENING, 100, virtual=True, fill=0.9,
        categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT),
        facilitators=("counselor",), demo_enrolled=(DemoRole.TEACHER,),
    ),
    SessionSpec(
        "rp-101", InPlanYear(0, 2, MON, 3), PD_HALF_DAY, 150, title="February PD day",
        building="riverbend", room="Auditorium",
        categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT), fill=0.9,
        facilitators=("social-worker", "counselor"),
    ),
    SessionSpec(
        "crt-201", InPlanYear(0, 3, TUE, 1), AFTER_SCHOOL_LONG, 24, title="Cohort A",
        meetings=4, building="hawthorn", room="Library", categories=(PositionCategory.TEACHER,),
        fill=0.95, facilitators=(DemoRole.FACILITATOR,),
    ),
    SessionSpec(
        "crt-101", InPlanYear(0, 3, WED, 1), AFTER_SCHOOL_LONG, 30, title="After-school series",
        meetings=3, building="cedar-grove", room="Library",
        categories=(PositionCategory.TEACHER,), fill=0.9, facilitators=("instructional-coach",),
    ),
    SessionSpec(
        "rp-201", InPlanYear(0, 4, WED, 2), AFTER_SCHOOL_LONG, 30, building="stonegate",
        room="Room 114", fill=0.9, facilitators=(DemoRole.FACILITATOR,),
    ),
    SessionSpec(
        "ce-101", InPlanYear(0, 4, THU, 3), AFTER_SCHOOL_LONG, 40, building="willow-creek",
        room="Media Center", fill=0.9, facilitators=("counselor",),
    ),
    SessionSpec(
        "dei-150", InPlanYear(0, 2, THU, 1), AFTER_SCHOOL_LONG, 60,
        title="Black History Month planning", building="northfield", room="Library", fill=0.9,
        facilitators=("social-worker", "counselor"),
    ),
    SessionSpec(
        "sel-201", InPlanYear(0, 5, TUE, 2), PD_HALF_DAY, 30, building=EAB, room=EAB_PL_CENTER,
        positions=STUDENT_SUPPORT, fill=0.8, facilitators=("school-psychologist",),
    ),
    SessionSpec(
        "bt-institute", InPlanYear(0, 6, TUE, 3), INSTITUTE_DAY, 80, meetings=3,
        cadence=Cadence.DAILY, building="riverbend", room="Media Center",
        categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT, PositionCategory.LEADER),
        fill=0.9, facilitators=(DemoRole.DISTRICT_PD, "pl-coordinator", "instructional-coach"),
        registration_days=120, notes=INSTITUTE_NOTES,
    ),
    SessionSpec(
        "tf-steering", InPlanYear(0, 9, WED, 2), STEERING_MEETING, 20,
        title="Monthly meetings", meetings=10, cadence=Cadence.MONTHLY, building=EAB,
        room=EAB_BOARD_ROOM, group="better-together-steering", whole_group=True,
        absent_rate=0.15, facilitators=("pl-coordinator",), registration_days=30,
    ),
    # The middle year, around today: history first, then what is coming.
    SessionSpec(
        "crt-101", AroundToday(-62), AFTER_SCHOOL_LONG, 30, title="New Teacher Cohort",
        meetings=3, building=EAB, room=EAB_PL_CENTER, group=NEW_TEACHER_COHORT, fill=0.9,
        facilitators=("instructional-coach",),
    ),
    SessionSpec(
        "dei-110", AroundToday(-55), AFTER_SCHOOL, 60, title="New staff", virtual=True,
        fill=0.9, facilitators=("pl-coordinator",),
    ),
    SessionSpec(
        "crl-101", AroundToday(-52), PD_DAY, 20, building=EAB, room=EAB_PL_CENTER,
        categories=(PositionCategory.LEADER,), fill=0.9, facilitators=(DemoRole.DISTRICT_PD,),
    ),
    SessionSpec(
        "rp-101", AroundToday(-45), PD_HALF_DAY, 150, title="PD half day",
        building="northfield", room="Little Theater",
        categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT), fill=0.85,
        facilitators=("social-worker", "counselor"),
    ),
    SessionSpec(
        "ce-101", AroundToday(-41), AFTER_SCHOOL_LONG, 40, building="stonegate",
        room="Media Center", fill=0.9, facilitators=("counselor",),
    ),
    SessionSpec(
        "rp-201", AroundToday(-38), AFTER_SCHOOL_LONG, 30, building="quarry-ridge",
        room="Room 210", fill=0.9, facilitators=(DemoRole.FACILITATOR,),
    ),
    SessionSpec(
        "sel-101", AroundToday(-31), VIRTUAL_EVENING, 60, virtual=True, fill=0.8,
        facilitators=("counselor",),
    ),
    SessionSpec(
        "sel-201", AroundToday(-26), PD_HALF_DAY, 30, building=EAB, room=EAB_PL_CENTER,
        positions=STUDENT_SUPPORT, fill=0.8, facilitators=("school-psychologist",),
    ),
    SessionSpec(
        "rp-101", AroundToday(-24), AFTER_SCHOOL, 30, title="Two Tuesdays", meetings=2,
        building="cedar-grove", room="Library", fill=0.9,
        facilitators=(DemoRole.FACILITATOR,),
    ),
    SessionSpec(
        "dei-150", AroundToday(-16), AFTER_SCHOOL_LONG, 40, building="lakeview",
        room="Gym", fill=0.85, facilitators=("social-worker",),
    ),
    SessionSpec(
        "sel-220", AroundToday(-11), PD_HALF_DAY, 40, building=EAB, room=EAB_PL_CENTER,
        categories=(PositionCategory.LEADER,), positions=("counselor",), fill=0.85,
        facilitators=("pl-coordinator",), demo_enrolled=(DemoRole.LEADER,),
    ),
    # Under way: two meetings behind, two ahead.
    SessionSpec(
        "crt-201", AroundToday(-8), AFTER_SCHOOL_LONG, 24, title="Cohort C", meetings=4,
        building="maple", room="Media Center", categories=(PositionCategory.TEACHER,),
        fill=0.92, facilitators=(DemoRole.FACILITATOR,),
    ),
    SessionSpec(
        "sel-101", AroundToday(6), VIRTUAL_EVENING, 60, virtual=True, fill=0.45,
        facilitators=("counselor",),
    ),
    SessionSpec(
        "crt-101", AroundToday(9), AFTER_SCHOOL_LONG, 30, title="After-school series",
        meetings=3, building="hawthorn", room="Library", categories=(PositionCategory.TEACHER,),
        fill=0.5, facilitators=("instructional-coach",),
    ),
    SessionSpec(
        "dei-110", AroundToday(10), AFTER_SCHOOL, 40, title="Make-up session", virtual=True,
        fill=0.2, facilitators=("pl-coordinator",),
    ),
    SessionSpec(
        "rp-101", AroundToday(12), AFTER_SCHOOL, 25, title="Two Tuesdays", meetings=2,
        building="maple", room="Media Center", seats_left=0, waitlist=5,
        facilitators=(DemoRole.FACILITATOR,), demo_waitlisted=(DemoRole.TEACHER,),
    ),
    SessionSpec(
        "dei-150", AroundToday(14), AFTER_SCHOOL_LONG, 40, building="willow-creek",
        room="Media Center", status=SessionStatus.CANCELLED, fill=0.3,
        facilitators=("social-worker",), notes=CANCELLED_NOTES,
    ),
    SessionSpec(
        "dei-150", AroundToday(30), AFTER_SCHOOL_LONG, 40, building="birchwood",
        room="Media Center", fill=0.5, facilitators=("social-worker",),
    ),
    SessionSpec(
        "ce-101", AroundToday(18), AFTER_SCHOOL_LONG, 20, building="sycamore",
        room="Library", seats_left=0, waitlist=3, facilitators=("counselor",),
    ),
    # One seat left, and the demo teacher is not in it.
    SessionSpec(
        "sel-210", AroundToday(20), VIRTUAL_EVENING, 30, virtual=True, seats_left=1,
        facilitators=("school-psychologist",),
    ),
    SessionSpec(
        "sel-201", AroundToday(25), PD_HALF_DAY, 30, building=EAB, room=EAB_PL_CENTER,
        positions=STUDENT_SUPPORT, fill=0.4, facilitators=("school-psychologist",),
    ),
    SessionSpec(
        "crt-301", AroundToday(28), AFTER_SCHOOL_LONG, 12, title="Coaching cohort 1",
        meetings=3, cadence=Cadence.FOUR_WEEKLY, building=EAB, room=EAB_PL_CENTER,
        virtual=True, categories=(PositionCategory.TEACHER,), fill=0.8, pending=3,
        facilitators=(DemoRole.FACILITATOR, "instructional-coach"),
    ),
    SessionSpec(
        "dei-201", AroundToday(35), PD_HALF_DAY, 30, building=EAB, room=EAB_PL_CENTER,
        categories=(PositionCategory.LEADER,), fill=0.3, facilitators=(DemoRole.DISTRICT_PD,),
    ),
    SessionSpec(
        "rp-101", AroundToday(40), PD_HALF_DAY, 120, title="PD half day",
        building="riverbend", room="Auditorium",
        categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT), fill=0.35,
        facilitators=("social-worker", "counselor"),
    ),
    SessionSpec(
        "ce-101", AroundToday(45), AFTER_SCHOOL_LONG, 40, building="meadowbrook",
        room="Library", fill=0.5, facilitators=("counselor",),
        demo_enrolled=(DemoRole.TEACHER,),
    ),
    SessionSpec(
        "crt-201", AroundToday(50), AFTER_SCHOOL_LONG, 24, title="Cohort D", meetings=4,
        building="fox-hollow", room="Library", categories=(PositionCategory.TEACHER,),
        fill=0.4, facilitators=(DemoRole.FACILITATOR,), demo_enrolled=(DemoRole.TEACHER,),
    ),
    SessionSpec(
        "rp-301", AroundToday(66), PD_DAY, 20, building=EAB, room=EAB_PL_CENTER, fill=0.3,
        facilitators=("social-worker",),
    ),
    # Registration opens later.
    SessionSpec(
        "ce-201", AroundToday(75), AFTER_SCHOOL_LONG, 30, meetings=2, building="lakeview",
        room="Library", facilitators=("counselor",),
    ),
    SessionSpec(
        "crt-301", AroundToday(100), AFTER_SCHOOL_LONG, 12, title="Coaching cohort 2",
        meetings=3, cadence=Cadence.FOUR_WEEKLY, building=EAB, room=EAB_PL_CENTER,
        virtual=True, status=SessionStatus.DRAFT, facilitators=(DemoRole.FACILITATOR,),
    ),
    # The middle year's fixed points: the steering committee and the summer institute.
    SessionSpec(
        "tf-steering", InPlanYear(1, 9, WED, 2), STEERING_MEETING, 20,
        title="Monthly meetings", meetings=10, cadence=Cadence.MONTHLY, building=EAB,
        room=EAB_BOARD_ROOM, group="better-together-steering", whole_group=True,
        absent_rate=0.15, facilitators=("pl-coordinator",), registration_days=30,
    ),
    SessionSpec(
        "bt-institute", InPlanYear(1, 6, TUE, 3), INSTITUTE_DAY, 80, meetings=3,
        cadence=Cadence.DAILY, building="northfield", room="Media Center",
        categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT, PositionCategory.LEADER),
        fill=0.5, pending=10,
        facilitators=(DemoRole.DISTRICT_PD, "pl-coordinator", "instructional-coach"),
        registration_days=120, notes=INSTITUTE_NOTES,
    ),
    # The last year: planned, not yet open.
    SessionSpec(
        "sel-220", InPlanYear(2, 9, THU, 2), PD_HALF_DAY, 40, building=EAB, room=EAB_PL_CENTER,
        status=SessionStatus.DRAFT, facilitators=("pl-coordinator",),
    ),
    SessionSpec(
        "ce-201", InPlanYear(2, 10, TUE, 3), AFTER_SCHOOL_LONG, 30, meetings=2,
        building="quarry-ridge", room="Media Center", facilitators=("counselor",),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class OutsideCompletionSpec:
    """Credit recorded by hand or imported, for learning outside the district's sessions."""

    course: str
    source: str
    evidence: str
    on: InPlanYear
    people: int = 1
    demo_person: DemoRole | None = None


OUTSIDE_COMPLETIONS = (
    OutsideCompletionSpec(
        "dei-150", CompletionSource.MANUAL,
        "Attended the equivalent workshop at the county equity summit; certificate on file.",
        InPlanYear(0, 3, SAT, 2), demo_person=DemoRole.TEACHER,
    ),
    OutsideCompletionSpec(
        "rp-101", CompletionSource.MANUAL,
        "Two-day restorative practices conference at the intermediate school district; "
        "agenda and certificate on file.",
        InPlanYear(0, 4, FRI, 1), people=3,
    ),
    OutsideCompletionSpec(
        "sel-101", CompletionSource.MANUAL,
        "State SEL conference, keynote and two breakout sessions; attendance letter on file.",
        InPlanYear(0, 2, SAT, 1), people=2,
    ),
    OutsideCompletionSpec(
        "dei-110", CompletionSource.IMPORT,
        "Online module, from the previous learning system's completion report "
        "(hate-and-bias-module.csv).",
        InPlanYear(0, 10, FRI, 3), people=8,
    ),
)  # fmt: skip

EVALUATION_COMMENTS = (
    "",
    "",
    "",
    "Practical and well paced. I used the circle prompts the next morning.",
    "More time to plan with my grade-level team would have helped.",
    "The student voice examples were the most useful part.",
    "Great facilitator; the small-group discussion made it real for our building.",
    "I would like a follow-up session later in the year.",
    "Good content, but the room was too warm and the afternoon dragged.",
    "Finally a PD that connects SEL, equity and character work instead of three separate asks.",
    "The data protocol is something I can bring to our school improvement team.",
    "Please share the slides and the reading list.",
    "Hearing from colleagues in other buildings was the highlight.",
    "Less lecture, more practice next time.",
)

# --------------------------------------------------------------------------------------------
# Building it
# --------------------------------------------------------------------------------------------


class DemoRefusedError(Exception):
    """The demo cannot be built or reset in this database; nothing was changed."""


REFUSED_REAL_STAFF = (
    "Refusing to reset the demo: {count} staff members are not demo data, so this is a real "
    "district's database. Nothing was deleted."
)
REFUSED_STILL_REFERENCED = (
    "Refusing to reset the demo: other records still point at demo data ({detail}). "
    "Nothing was deleted."
)
REFUSED_USERNAMES_TAKEN = (
    "Cannot load the demo: the usernames {names} are already taken. Run seed_demo --reset to "
    "replace them with the demo logins."
)


class SeedOutcome(StrEnum):
    BUILT = "built"
    ALREADY_LOADED = "already_loaded"
    REAL_DATA = "real_data"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    who: str


def is_loaded() -> bool:
    return Plan.objects.filter(slug=PLAN_SLUG).exists()


def real_staff_count() -> int:
    """Staff members that seed_demo did not create: the district's own roster."""
    return StaffMember.objects.filter(is_demo=False).count()


def seed(*, reset: bool = False, now: datetime | None = None) -> SeedOutcome:
    """Load the demo unless it is there already. Without --reset, a database that holds the
    district's own staff is left alone; with it, it is refused (DemoRefusedError)."""
    if reset:
        reset_demo(now=now)
        return SeedOutcome.BUILT
    if is_loaded():
        return SeedOutcome.ALREADY_LOADED
    if real_staff_count():
        return SeedOutcome.REAL_DATA
    build_demo(now=now)
    return SeedOutcome.BUILT


@transaction.atomic
def reset_demo(*, now: datetime | None = None) -> None:
    """Delete the demo and build it again, in one transaction."""
    delete_demo()
    build_demo(now=now)


@transaction.atomic
def build_demo(*, now: datetime | None = None) -> None:
    """Write the whole demo, placed around `now` (default: the current time)."""
    _DemoBuilder(now or timezone.now()).build()


@transaction.atomic
def delete_demo() -> None:
    """Delete everything the demo wrote, children before what they protect. Refused when the
    database holds staff that are not demo data."""
    real = real_staff_count()
    if real:
        raise DemoRefusedError(REFUSED_REAL_STAFF.format(count=real))
    staff = StaffMember.objects.filter(is_demo=True)
    courses = Course.objects.filter(code__in=COURSE_CODES)
    sessions = Session.objects.filter(course__in=courses)
    enrollments = Enrollment.objects.filter(Q(staff__in=staff) | Q(session__in=sessions))
    try:
        Completion.objects.filter(
            Q(staff__in=staff) | Q(course__in=courses) | Q(enrollment__in=enrollments)
        ).delete()
        Evaluation.objects.filter(enrollment__in=enrollments).delete()
        Attendance.objects.filter(
            Q(enrollment__in=enrollments) | Q(meeting__session__in=sessions)
        ).delete()
        enrollments.delete()
        FeedToken.objects.filter(staff__in=staff).delete()
        Meeting.objects.filter(session__in=sessions).delete()
        sessions.delete()
        plans = Plan.objects.filter(slug=PLAN_SLUG)
        Requirement.objects.filter(goal__plan_year__plan__in=plans).delete()
        Goal.objects.filter(plan_year__plan__in=plans).delete()
        PlanYear.objects.filter(plan__in=plans).delete()
        plans.delete()
        courses.delete()
        Strand.objects.filter(code__in=[strand.code for strand in STRANDS]).delete()
        StaffGroup.objects.filter(slug__in=GROUP_SLUGS).delete()
        staff.delete()
        get_user_model().objects.filter(username__in=list(DemoRole)).delete()
        Building.objects.filter(Q(is_demo=True) | Q(code__in=[b.code for b in BUILDINGS])).delete()
        Position.objects.filter(code__in=[code for code, _, _ in POSITIONS]).delete()
    except (ProtectedError, RestrictedError) as error:
        raise DemoRefusedError(
            REFUSED_STILL_REFERENCED.format(detail=_blocking_models(error))
        ) from error


def _blocking_models(error: ProtectedError | RestrictedError) -> str:
    blocking = getattr(error, "protected_objects", None) or error.restricted_objects
    return ", ".join(sorted({str(obj._meta.verbose_name_plural) for obj in blocking}))


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist, one per role, with the staff member behind each."""
    users = {
        user.username: user
        for user in get_user_model()
        .objects.filter(username__in=list(DemoRole))
        .select_related("staff_member__building", "staff_member__position")
    }
    logins = []
    for role in DemoRole:
        user = users.get(role.value)
        if user is None:
            continue
        staff = getattr(user, "staff_member", None)
        if staff is None:
            who = "superuser, no staff record"
        else:
            who = f"{staff.display_name}, {staff.position}, {staff.building}"
        logins.append(DemoLogin(ROLE_LABELS[role], user.username, PASSWORD, who))
    return logins


def demo_counts() -> dict[str, int]:
    """What the database holds, for the command's summary."""
    counts = {
        "buildings": Building.objects.count(),
        "staff": StaffMember.objects.count(),
        "staff groups": StaffGroup.objects.count(),
        "courses": Course.objects.count(),
        "sessions": Session.objects.count(),
        "meetings": Meeting.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "attendance": Attendance.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "completions": Completion.objects.count(),
        "requirements": Requirement.objects.count(),
    }
    by_status = Enrollment.objects.values_list("status").annotate(n=Count("pk")).order_by()
    for status, n in sorted(by_status):
        counts[f"enrollments {status}"] = n
    return counts


def school_year_start(day: date) -> date:
    """July 1 of the school year (July 1 - June 30) that contains day."""
    return date(day.year if day.month >= 7 else day.year - 1, 7, 1)


def school_year_name(starts_on: date) -> str:
    return f"{starts_on.year}-{(starts_on.year + 1) % 100:02d}"


def plan_years_around(today: date) -> list[tuple[str, date, date]]:
    """The plan's three school years, the middle one containing today."""
    middle = school_year_start(today)
    years = []
    for offset in (-1, 0, 1):
        starts_on = middle.replace(year=middle.year + offset)
        ends_on = date(starts_on.year + 1, 6, 30)
        years.append((school_year_name(starts_on), starts_on, ends_on))
    return years


def email_local_part(first_name: str, last_name: str) -> str:
    """firstname.lastname in plain ASCII: "Zoë O'Brien" -> "zoe.obrien"."""

    def fold(name: str) -> str:
        name = name.translate(_UNDECOMPOSABLE)
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return "".join(c for c in ascii_name.lower().replace(" ", "-") if c.isalnum() or c == "-")

    return f"{fold(first_name)}.{fold(last_name)}"


# Letters that NFKD does not split into a base letter and an accent.
_UNDECOMPOSABLE = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l"})
_MIDWEEK = (TUE, WED, THU)


@dataclass(eq=False)
class _Person:
    """A staff member while the demo is built, with what the builder needs to know of them."""

    member: StaffMember
    category: str
    role: DemoRole | None = None
    completed: dict[str, date] = field(default_factory=dict)
    busy: set[date] = field(default_factory=set)
    booked_courses: set[str] = field(default_factory=set)


@dataclass(eq=False)
class _PlannedSession:
    spec: SessionSpec
    session: Session
    meetings: list[Meeting]
    facilitators: list[_Person]

    @property
    def first_start(self) -> datetime:
        return self.meetings[0].starts_at

    @property
    def last_end(self) -> datetime:
        return self.meetings[-1].ends_at


class _DemoBuilder:
    """Writes the demo in a fixed order; every random choice comes from self.rng."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.today = timezone.localdate(now, self.zone)
        self.rng = random.Random(RANDOM_SEED)
        self.years = plan_years_around(self.today)
        self.middle_start = self.years[1][1]
        self.people: list[_Person] = []
        self.by_role: dict[DemoRole, _Person] = {}
        self.users: dict[DemoRole, object] = {}
        self.enrollments: list[Enrollment] = []
        self.attendance: list[Attendance] = []
        self.completions: list[Completion] = []
        self.evaluations: list[Evaluation] = []

    def build(self) -> None:
        self._refuse_taken_usernames()
        self.positions = self._write_positions()
        self.buildings = self._write_buildings()
        self.users = self._write_users()
        self._write_staff()
        self.groups = self._write_groups()
        self.strands, self.courses = self._write_catalog()
        self._write_plan()
        planned = self._write_sessions()
        for plan in sorted(planned, key=lambda p: (p.first_start, p.session.pk)):
            self._take_part(plan)
        self._outside_completions()
        Enrollment.objects.bulk_create(self.enrollments)
        Attendance.objects.bulk_create(self.attendance)
        Evaluation.objects.bulk_create(self.evaluations)
        Completion.objects.bulk_create(self.completions)

    # -- people ----------------------------------------------------------------------------

    def _refuse_taken_usernames(self) -> None:
        taken = sorted(
            get_user_model()
            .objects.filter(username__in=list(DemoRole))
            .values_list("username", flat=True)
        )
        if taken:
            raise DemoRefusedError(REFUSED_USERNAMES_TAKEN.format(names=", ".join(taken)))

    def _write_positions(self) -> dict[str, Position]:
        positions = [Position(code=c, name=n, category=cat) for c, n, cat in POSITIONS]
        Position.objects.bulk_create(positions)
        return {position.code: position for position in positions}

    def _write_buildings(self) -> dict[str, Building]:
        buildings = [
            Building(code=b.code, name=b.name, kind=b.kind, address=b.address, is_demo=b.is_demo)
            for b in BUILDINGS
        ]
        Building.objects.bulk_create(buildings)
        return {building.code: building for building in buildings}

    def _write_users(self) -> dict[DemoRole, object]:
        User = get_user_model()
        # One hash for the one published demo password: hashing costs ~0.5 s each.
        password_hash = make_password(PASSWORD)
        people = {person.role: person for person in DEMO_PEOPLE}
        users = {}
        for role in DemoRole:
            person = people.get(role)
            user = User(
                username=role.value,
                password=password_hash,
                first_name=person.first_name if person else "Demo",
                last_name=person.last_name if person else "Administrator",
                email=(
                    f"{email_local_part(person.first_name, person.last_name)}@{EMAIL_DOMAIN}"
                    if person
                    else f"admin@{EMAIL_DOMAIN}"
                ),
                is_staff=role == DemoRole.ADMIN,
                is_superuser=role == DemoRole.ADMIN,
            )
            user.save()
            if person and person.auth_groups:
                user.groups.set(Group.objects.filter(name__in=person.auth_groups))
            users[role] = user
        return users

    def _write_staff(self) -> None:
        categories = {code: category for code, _, category in POSITIONS}
        pending_demo = list(DEMO_PEOPLE)
        for spec in BUILDINGS:
            slots = list(STAFFING[spec.kind])
            teachers = spec.staff - sum(count for _, count in slots)
            for position_code, count in [*slots, ("teacher", teachers)]:
                for _ in range(count):
                    login = next(
                        (
                            p
                            for p in pending_demo
                            if p.building == spec.code and p.position == position_code
                        ),
                        None,
                    )
                    if login:
                        pending_demo.remove(login)
                        first, last = login.first_name, login.last_name
                    else:
                        first = self.rng.choice(FIRST_NAMES)
                        last = self.rng.choice(LAST_NAMES)
                    member = StaffMember(
                        first_name=first,
                        last_name=last,
                        preferred_name=(
                            PREFERRED_NAMES.get(first, "") if self.rng.random() < 0.4 else ""
                        ),
                        building=self.buildings[spec.code],
                        position=self.positions[position_code],
                        is_demo=True,
                        # A roster sync must not deactivate the people behind the demo logins.
                        managed_manually=login is not None,
                    )
                    person = _Person(member, categories[position_code], login and login.role)
                    if login:
                        member.user = self.users[login.role]
                        member.preferred_name = ""
                        self.by_role[login.role] = person
                    self.people.append(person)
        self._assign_ids_and_emails()
        self._assign_hire_dates_and_status()
        StaffMember.objects.bulk_create([person.member for person in self.people])
        Leads = StaffMember.leads_buildings.through
        Leads.objects.bulk_create(
            Leads(staffmember=p.member, building=p.member.building)
            for p in self.people
            if p.member.position.code in ADMINISTRATORS
        )

    def _assign_ids_and_emails(self) -> None:
        employee_ids = self.rng.sample(range(1000, 100000), len(self.people))
        taken: Counter[str] = Counter()
        # The demo logins get the plain addresses; namesakes get a number.
        ordered = sorted(self.people, key=lambda p: p.role is None)
        for person, employee_id in zip(ordered, employee_ids, strict=True):
            member = person.member
            member.employee_id = f"{employee_id:06d}"
            local = email_local_part(member.first_name, member.last_name)
            taken[local] += 1
            suffix = str(taken[local]) if taken[local] > 1 else ""
            member.email = f"{local}{suffix}@{EMAIL_DOMAIN}"

    def _assign_hire_dates_and_status(self) -> None:
        rng = self.rng
        first_year_start = self.years[0][1]
        for person in self.people:
            if person.role:
                years = next(p.years_of_service for p in DEMO_PEOPLE if p.role == person.role)
            elif person.category in (PositionCategory.LEADER, PositionCategory.CENTRAL_OFFICE):
                years = rng.randint(6, 26)
            else:
                years = rng.choice((2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 22, 26, 30))
            person.member.hired_on = date(self.middle_start.year - years, 8, rng.randint(10, 28))
        # Leaders and directors stay put: every building keeps an active principal.
        ordinary = [
            p
            for p in self.people
            if p.role is None
            and p.member.position.code
            not in (*ADMINISTRATORS, "superintendent", "director-professional-learning")
        ]
        rng.shuffle(ordinary)
        new_teachers = [p for p in ordinary if p.member.position.code in CLASSROOM][:18]
        others = [p for p in ordinary if p not in set(new_teachers)]
        first_year_hires, on_leave, separated = others[:24], others[24:32], others[32:42]
        for person in new_teachers:
            # Hired for this school year, never after today.
            hired = self.middle_start + timedelta(days=rng.randint(45, 52))
            person.member.hired_on = min(hired, self.today)
        for person in first_year_hires:
            person.member.hired_on = first_year_start + timedelta(days=rng.randint(40, 200))
        for person in on_leave:
            person.member.status = StaffStatus.ON_LEAVE
        for person in separated:
            member = person.member
            earliest = max(member.hired_on + timedelta(days=90), first_year_start)
            latest = self.today - timedelta(days=14)
            if earliest < latest:
                member.status = StaffStatus.SEPARATED
                member.separated_on = earliest + timedelta(
                    days=rng.randint(0, (latest - earliest).days)
                )

    def _write_groups(self) -> dict[str, StaffGroup]:
        groups = {
            spec.slug: StaffGroup(
                slug=spec.slug, name=spec.name, kind=spec.kind, description=spec.description
            )
            for spec in GROUPS
        }
        StaffGroup.objects.bulk_create(groups.values())
        in_task_force: set[_Person] = set()
        self.members: dict[str, list[_Person]] = {}
        for spec in GROUPS:
            members = [self.by_role[role] for role in spec.demo_members]
            if spec.slug == NEW_TEACHER_COHORT:
                members += [
                    p
                    for p in self.people
                    if p.member.position.code in CLASSROOM
                    and p.member.hired_on >= self.middle_start
                    and p.member.status == StaffStatus.ACTIVE
                ]
            for positions, count in spec.draws:
                candidates = [
                    p
                    for p in self.people
                    if p.role is None
                    and p.member.position.code in positions
                    and p.member.status == StaffStatus.ACTIVE
                    and not (spec.hired_before and p.member.hired_on >= spec.hired_before)
                    and not (spec.exclusive and p in in_task_force)
                    and p not in members
                ]
                members += self.rng.sample(candidates, count)
            if spec.exclusive:
                in_task_force.update(members)
            self.members[spec.slug] = members
        Members = StaffGroup.members.through
        Members.objects.bulk_create(
            Members(staffgroup=groups[slug], staffmember=p.member)
            for slug, members in self.members.items()
            for p in members
        )
        return groups

    # -- catalog and plan -------------------------------------------------------------------

    def _write_catalog(self) -> tuple[dict[str, Strand], dict[str, Course]]:
        strands = {
            s.code: Strand(
                code=s.code, name=s.name, colour=s.colour, description=s.description, order=i
            )
            for i, s in enumerate(STRANDS, start=1)
        }
        Strand.objects.bulk_create(strands.values())
        courses = {
            c.code: Course(
                code=c.code,
                title=c.title,
                strand=strands[c.strand],
                summary=c.summary,
                clock_hours=Decimal(c.clock_hours),
                format=c.format,
                evaluation_required=c.evaluation_required,
                requires_approval=c.requires_approval,
            )
            for c in COURSES
        }
        Course.objects.bulk_create(courses.values())
        Prerequisites = Course.prerequisites.through
        Prerequisites.objects.bulk_create(
            Prerequisites(from_course=courses[c.code], to_course=courses[required])
            for c in COURSES
            for required in c.prerequisites
        )
        self.prerequisites = {c.code: c.prerequisites for c in COURSES}
        return strands, courses

    def _write_plan(self) -> None:
        plan = Plan.objects.create(
            slug=PLAN_SLUG,
            name=PLAN_NAME,
            description=PLAN_DESCRIPTION,
            starts_on=self.years[0][1],
            ends_on=self.years[-1][2],
        )
        plan_years = PlanYear.objects.bulk_create(
            PlanYear(plan=plan, name=name, starts_on=starts_on, ends_on=ends_on)
            for name, starts_on, ends_on in self.years
        )
        order_in_year: Counter[int] = Counter()
        goals, requirements, audiences = [], [], []
        for spec in GOALS:
            order_in_year[spec.year] += 1
            goal = Goal(
                plan_year=plan_years[spec.year],
                title=spec.title,
                description=spec.description,
                order=order_in_year[spec.year],
            )
            goals.append(goal)
            for r in spec.requirements:
                requirement = Requirement(
                    goal=goal,
                    title=r.title,
                    kind=RequirementKind.COURSE if r.course else RequirementKind.CLOCK_HOURS,
                    course=self.courses.get(r.course),
                    strand=self.strands.get(r.strand),
                    clock_hours=Decimal(r.clock_hours) if r.clock_hours else None,
                    target_percent=r.target_percent,
                    due_on=self._in_plan_year(spec.year, *r.due),
                    count_completions_before_plan_year=r.count_earlier,
                )
                requirements.append(requirement)
                audiences.append((requirement, r))
        Goal.objects.bulk_create(goals)
        Requirement.objects.bulk_create(requirements)
        by_position = Requirement.audience_positions.through
        by_group = Requirement.audience_groups.through
        by_position.objects.bulk_create(
            by_position(requirement=requirement, position=position)
            for requirement, r in audiences
            for position in self.positions.values()
            if position.category in r.categories or position.code in r.positions
        )
        by_group.objects.bulk_create(
            by_group(requirement=requirement, staffgroup=self.groups[slug])
            for requirement, r in audiences
            for slug in r.groups
        )

    def _in_plan_year(self, year: int, month: int, day: int) -> date:
        starts_on = self.years[year][1]
        return date(starts_on.year if month >= 7 else starts_on.year + 1, month, day)

    # -- sessions --------------------------------------------------------------------------

    def _write_sessions(self) -> list[_PlannedSession]:
        planned = []
        for number, spec in enumerate(SESSIONS, start=1):
            course = self.courses[spec.course]
            days = self._meeting_days(spec)
            cancelled = spec.status == SessionStatus.CANCELLED
            meetings = [
                Meeting(
                    starts_at=self._at(day, spec.slot.starts),
                    ends_at=self._at(day, spec.slot.ends),
                    status=MeetingStatus.CANCELLED if cancelled else MeetingStatus.SCHEDULED,
                )
                for day in days
            ]
            first_start = meetings[0].starts_at
            is_draft = spec.status == SessionStatus.DRAFT
            session = Session(
                course=course,
                title=spec.title,
                building=self.buildings[spec.building] if spec.building else None,
                room=spec.room,
                virtual_url=(
                    VIRTUAL_URL.format(code=spec.course, number=number) if spec.virtual else ""
                ),
                capacity=spec.capacity,
                registration_opens_at=(
                    None
                    if is_draft
                    else self._at(
                        first_start.astimezone(self.zone).date()
                        - timedelta(days=spec.registration_days),
                        time(7, 0),
                    )
                ),
                registration_closes_at=None if is_draft else first_start - timedelta(days=1),
                status=spec.status,
                restricted_to_group=self.groups[spec.group] if spec.group else None,
                requires_approval=course.requires_approval,
                notes=spec.notes,
            )
            facilitators = self._facilitators(spec, days[0])
            planned.append(_PlannedSession(spec, session, meetings, facilitators))
        Session.objects.bulk_create(p.session for p in planned)
        for plan in planned:
            for meeting in plan.meetings:
                meeting.session = plan.session
        Meeting.objects.bulk_create(m for p in planned for m in p.meetings)
        Facilitators = Session.facilitators.through
        Facilitators.objects.bulk_create(
            Facilitators(session=p.session, staffmember=f.member)
            for p in planned
            for f in p.facilitators
        )
        return planned

    def _meeting_days(self, spec: SessionSpec) -> list[date]:
        when = spec.when
        if isinstance(when, AroundToday):
            first = self._midweek(self.today + timedelta(days=when.days), when.days < 0)
        elif isinstance(when, InPlanYear):
            starts_on = self.years[when.year][1]
            year = starts_on.year if when.month >= 7 else starts_on.year + 1
            first = _nth_weekday(year, when.month, when.weekday, when.nth)
        else:
            first = when.day
        if spec.cadence == Cadence.MONTHLY:
            nth = (first.day - 1) // 7 + 1
            days = []
            for k in range(spec.meetings):
                month_index = first.month - 1 + k
                year, month = first.year + month_index // 12, month_index % 12 + 1
                days.append(_nth_weekday(year, month, first.weekday(), nth))
            return days
        step = timedelta(
            days={Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.FOUR_WEEKLY: 28}[spec.cadence]
        )
        days = [first]
        while len(days) < spec.meetings:
            day = days[-1] + step
            while _in_break(day):  # a series skips the break weeks
                day += timedelta(days=7)
            days.append(day)
        return days

    @staticmethod
    def _midweek(day: date, toward_past: bool) -> date:
        """The nearest Tuesday-Thursday outside the breaks, moving away from today: a past
        session stays in the past and a coming one stays ahead."""
        step = timedelta(days=-1 if toward_past else 1)
        while day.weekday() not in _MIDWEEK or _in_break(day):
            day += step
        return day

    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone)

    def _facilitators(self, spec: SessionSpec, first_day: date) -> list[_Person]:
        chosen: list[_Person] = []
        for key in spec.facilitators:
            if key in DemoRole._value2member_map_:
                chosen.append(self.by_role[DemoRole(key)])
                continue
            candidates = [
                p
                for p in self.people
                if p.role is None
                and p.member.position.code == key
                and p.member.status == StaffStatus.ACTIVE
                and p.member.hired_on < first_day
                and p not in chosen
            ]
            chosen.append(self.rng.choice(candidates))
        return chosen

    # -- who takes part --------------------------------------------------------------------

    def _take_part(self, plan: _PlannedSession) -> None:
        spec = plan.spec
        if spec.status == SessionStatus.DRAFT:
            return
        session = plan.session
        opens = session.registration_opens_at
        latest_request = min(session.registration_closes_at, self.now - timedelta(minutes=5))
        if opens >= latest_request:
            return  # registration has not opened yet
        past = plan.last_end < self.now
        started = plan.first_start < self.now
        audience = self._audience(plan, upcoming=not started)
        forced = [self.by_role[role] for role in spec.demo_enrolled]
        if spec.whole_group:
            seated = list(audience)
        else:
            if spec.seats_left is not None:
                wanted = spec.capacity - spec.seats_left
            else:
                wanted = round(spec.fill * min(spec.capacity, len(audience) + len(forced)))
            drawn = self._draw(audience, wanted - len(forced))
            seated = forced + drawn
            if spec.seats_left is not None and len(seated) != wanted:
                raise RuntimeError(f"Too few people for {spec.course} ({spec.title}).")
        rest = [p for p in audience if p not in set(seated)]
        waitlisted = [self.by_role[role] for role in spec.demo_waitlisted]
        waitlisted += self._draw(rest, spec.waitlist - len(waitlisted))
        self.rng.shuffle(waitlisted)
        rest = [p for p in rest if p not in set(waitlisted)]
        withdrawn = [] if spec.whole_group else self._draw(rest, self.rng.randint(0, 2))

        # Requests in order: seats first, then the waitlist behind them.
        times = sorted(self._request_time(opens, latest_request) for _ in seated + waitlisted)
        seat_times = times[: len(seated)]
        self.rng.shuffle(seat_times)
        pending = set(seated[-spec.pending :]) if spec.pending and not started else set()
        for person, requested_at in zip(seated, seat_times, strict=True):
            if person in pending:
                requested_at = max(opens, self.now - timedelta(days=self.rng.randint(1, 4)))
            self._seat(plan, person, requested_at, past, started, person in pending)
        for person, requested_at in zip(waitlisted, times[len(seated) :], strict=True):
            self._enroll(plan, person, EnrollmentStatus.WAITLISTED, requested_at, requested_at)
            person.booked_courses.add(spec.course)
        for person in withdrawn:
            requested_at = self._request_time(opens, latest_request)
            changed = requested_at + (latest_request - requested_at) * self.rng.random()
            self._enroll(plan, person, EnrollmentStatus.WITHDRAWN, requested_at, changed)

    def _audience(self, plan: _PlannedSession, *, upcoming: bool) -> list[_Person]:
        spec = plan.spec
        first_day = plan.first_start.astimezone(self.zone).date()
        last_day = plan.last_end.astimezone(self.zone).date()
        days = {m.starts_at.astimezone(self.zone).date() for m in plan.meetings}
        pool = self.members[spec.group] if spec.group else self.people
        prerequisites = self.prerequisites[spec.course]
        audience = []
        for person in pool:
            member = person.member
            if (
                person in plan.facilitators
                or (person.role is not None and not spec.whole_group)
                or member.hired_on > first_day
                or (member.separated_on is not None and member.separated_on <= last_day)
                or (upcoming and member.status != StaffStatus.ACTIVE)
            ):
                continue
            if not spec.group and not self._in_audience(person, spec):
                continue
            if not spec.whole_group and (
                spec.course in person.completed
                or spec.course in person.booked_courses
                or person.busy & days
                or any(person.completed.get(code, first_day) >= first_day for code in prerequisites)
            ):
                continue
            audience.append(person)
        return audience

    @staticmethod
    def _in_audience(person: _Person, spec: SessionSpec) -> bool:
        if not spec.categories and not spec.positions:
            return True
        return person.category in spec.categories or person.member.position.code in spec.positions

    def _draw(self, people: list[_Person], count: int) -> list[_Person]:
        return self.rng.sample(people, max(0, min(count, len(people))))

    def _request_time(self, earliest: datetime, latest: datetime) -> datetime:
        return earliest + (latest - earliest) * self.rng.random()

    def _seat(
        self,
        plan: _PlannedSession,
        person: _Person,
        requested_at: datetime,
        past: bool,
        started: bool,
        pending: bool,
    ) -> None:
        spec, course = plan.spec, plan.session.course
        if spec.status == SessionStatus.CANCELLED:
            cancelled_at = max(requested_at, self.now - timedelta(days=2))
            self._enroll(
                plan, person, EnrollmentStatus.CANCELLED, requested_at, cancelled_at,
                acted_by=self.users[DemoRole.DISTRICT_PD], reason=CANCELLED_REASON,
            )  # fmt: skip
            return
        person.busy |= {m.starts_at.astimezone(self.zone).date() for m in plan.meetings}
        if pending:
            enrollment = self._enroll(
                plan, person, EnrollmentStatus.PENDING_APPROVAL, requested_at, requested_at
            )
            enrollment.hold_expires_at = requested_at + timedelta(days=7)
            person.booked_courses.add(spec.course)
            return
        if not started:
            self._enroll(plan, person, EnrollmentStatus.ENROLLED, requested_at, requested_at)
            person.booked_courses.add(spec.course)
            return
        recorder = plan.facilitators[0].member.user if plan.facilitators else None
        missed = None
        if past and self.rng.random() < spec.absent_rate:
            missed = self.rng.choice(plan.meetings)
        status = EnrollmentStatus.ENROLLED
        changed_at = requested_at
        if past:
            status = EnrollmentStatus.INCOMPLETE if missed else EnrollmentStatus.COMPLETED
            changed_at = min(plan.last_end + timedelta(hours=18), self.now)
        else:
            person.booked_courses.add(spec.course)
        enrollment = self._enroll(plan, person, status, requested_at, changed_at)
        for meeting in plan.meetings:
            if meeting.ends_at >= self.now:
                continue
            present = meeting is not missed if past else self.rng.random() < 0.92
            self.attendance.append(
                Attendance(
                    enrollment=enrollment,
                    meeting=meeting,
                    present=present,
                    recorded_by=recorder,
                    recorded_at=min(meeting.ends_at + timedelta(minutes=30), self.now),
                )
            )
        if status != EnrollmentStatus.COMPLETED:
            return
        completed_on = plan.last_end.astimezone(self.zone).date()
        person.completed[spec.course] = completed_on
        self.completions.append(
            Completion(
                staff=person.member,
                course=course,
                enrollment=enrollment,
                completed_on=completed_on,
                clock_hours=course.clock_hours,
                source=CompletionSource.SESSION,
                recorded_by=recorder,
            )
        )
        if course.evaluation_required or self.rng.random() < 0.35:
            self.evaluations.append(self._evaluation(enrollment, plan.last_end))

    def _enroll(
        self,
        plan: _PlannedSession,
        person: _Person,
        status: str,
        requested_at: datetime,
        changed_at: datetime,
        *,
        acted_by=None,
        reason: str = "",
    ) -> Enrollment:
        source = EnrollmentSource.SELF
        if acted_by is not None:
            pass
        elif plan.spec.whole_group:
            source, acted_by = EnrollmentSource.ASSIGNED, self.users[DemoRole.DISTRICT_PD]
        elif status in (EnrollmentStatus.PENDING_APPROVAL, EnrollmentStatus.WAITLISTED):
            acted_by = person.member.user
        elif plan.session.requires_approval:
            acted_by = self.users[self._approver(person)]
        elif self.rng.random() < 0.08:
            source, acted_by = EnrollmentSource.ASSIGNED, self.users[self._approver(person)]
        else:
            acted_by = person.member.user
        enrollment = Enrollment(
            staff=person.member,
            session=plan.session,
            status=status,
            source=source,
            requested_at=requested_at,
            status_changed_at=changed_at,
            acted_by=acted_by,
            decision_reason=reason,
        )
        self.enrollments.append(enrollment)
        return enrollment

    def _approver(self, person: _Person) -> DemoRole:
        """The demo leader acts for their own building; district PD for everyone else."""
        leader = self.by_role[DemoRole.LEADER].member
        return (
            DemoRole.LEADER if person.member.building == leader.building else DemoRole.DISTRICT_PD
        )

    def _evaluation(self, enrollment: Enrollment, ended_at: datetime) -> Evaluation:
        def rating() -> int:
            return self.rng.choices((2, 3, 4, 5), weights=(1, 3, 8, 9))[0]

        submitted_at = min(ended_at + timedelta(hours=self.rng.randint(1, 96)), self.now)
        return Evaluation(
            enrollment=enrollment,
            content_rating=rating(),
            facilitator_rating=rating(),
            relevance_rating=rating(),
            comment=self.rng.choice(EVALUATION_COMMENTS),
            submitted_at=submitted_at,
        )

    def _outside_completions(self) -> None:
        recorder = self.users[DemoRole.DISTRICT_PD]
        for spec in OUTSIDE_COMPLETIONS:
            starts_on = self.years[spec.on.year][1]
            year = starts_on.year if spec.on.month >= 7 else starts_on.year + 1
            on = _nth_weekday(year, spec.on.month, spec.on.weekday, spec.on.nth)
            if spec.demo_person:
                people = [self.by_role[spec.demo_person]]
            else:
                candidates = [
                    p
                    for p in self.people
                    if p.role is None
                    and p.member.hired_on < on
                    and p.member.separated_on is None
                    and spec.course not in p.completed
                ]
                people = self._draw(candidates, spec.people)
            course = self.courses[spec.course]
            for person in people:
                person.completed[spec.course] = on
                self.completions.append(
                    Completion(
                        staff=person.member,
                        course=course,
                        completed_on=on,
                        clock_hours=course.clock_hours,
                        source=spec.source,
                        evidence=spec.evidence,
                        recorded_by=recorder,
                    )
                )


def _in_break(day: date) -> bool:
    """Summer, Thanksgiving week and winter break: no after-school sessions then."""
    if date(day.year, 7, 1) <= day <= date(day.year, 8, 10):
        return True
    if (day.month, day.day) >= (12, 21) or (day.month, day.day) <= (1, 2):
        return True
    thanksgiving = _nth_weekday(day.year, 11, THU, 4)
    return thanksgiving - timedelta(days=3) <= day <= thanksgiving + timedelta(days=1)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1-based; -1 = last) given weekday of a month."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)
