"""What the demo district holds: Birmingham Public Schools and its "BPS, Better Together" plan.

Plain data, written by `demo.seed`. The district, its plan and goals, the strategic planning
task force's three groups and the Education Administration Building come from the district's own
pages; the other buildings and the people are synthetic, and so are their addresses. Of the dated
events, only Advisory Committee Workshop 1 (5 January 2022, 5-8 PM, at the Education
Administration Building) is real (`OnRealDate`); the task force's other meetings are invented and
placed in the same season, December 2021 to March 2022 (`OnInventedDate`), so its committees have
a history. Everything else is placed around the day the demo is built (`AroundToday`,
`InPlanYear`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import StrEnum

from catalog.choices import CourseFormat, SessionStatus
from enrollment.choices import CompletionSource
from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from learning.choices import BuildingKind, GroupKind, PositionCategory

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
    # Signs in to the Django admin; what it may do there comes from the auth groups.
    is_staff: bool = False


DEMO_PEOPLE = (
    DemoPerson(DemoRole.TEACHER, "Maya", "Thompson", "teacher", "maple", 8),
    DemoPerson(DemoRole.FACILITATOR, "Rafael", "Núñez", "instructional-coach", EAB, 12),
    DemoPerson(DemoRole.LEADER, "Grace", "Okafor", "principal", "maple", 15),
    DemoPerson(
        DemoRole.DISTRICT_PD, "Denise", "Carter", "director-professional-learning", EAB, 18,
        auth_groups=(DISTRICT_PD_GROUP,), is_staff=True,
    ),
    DemoPerson(
        DemoRole.HR, "Priya", "Shah", "hr-specialist", EAB, 6, auth_groups=(HR_GROUP,),
        is_staff=True,
    ),
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
    # Position codes of those who may enroll themselves (empty: anyone).
    audience_positions: tuple[str, ...] = ()


# Courses meant for building leaders: others see whom they are for; leaders still assign anyone.
BUILDING_LEADERS = ("principal", "assistant-principal")

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
        audience_positions=BUILDING_LEADERS,
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
        format=CourseFormat.VIRTUAL, evaluation_required=True,
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
        audience_positions=BUILDING_LEADERS,
    ),
    CourseSpec(
        "bt-institute", "Better Together Summer Institute", "dei", "18",
        "Three days that bring equity, character education and social-emotional learning "
        "together. Stipend paid for each day attended; enrollment needs your leader's approval.",
        evaluation_required=True, requires_approval=True,
    ),
    # Committee work, not professional learning: attending earns no clock hours.
    CourseSpec(
        "tf-advisory", "Strategic Planning: Advisory Committee", "task-force", "0",
        "Workshops of the Advisory Committee: foundation statements, priorities, core values, "
        "goals and action steps for the district's strategic plan.",
    ),
    CourseSpec(
        "tf-review", "Strategic Planning: Review Committee", "task-force", "0",
        "The Review Committee reviews the Advisory Committee's drafts and recommends revisions "
        "to the Core Design Team.",
    ),
    CourseSpec(
        "tf-design", "Strategic Planning: Core Design Team", "task-force", "0",
        "Key decision-makers plan the process, finalise the Advisory Committee's recommendations "
        "and author the action plan.",
    ),
    CourseSpec(
        "tf-steering", "BPS, Better Together Steering Committee", "task-force", "0",
        "The former Diversity and Character Education steering committees, aligned with SEL: "
        "monthly meetings that steer the plan across the district.",
    ),
)  # fmt: skip

COURSE_CODES = tuple(course.code for course in COURSES)

# A larger district offers more than the plan's strands. generate_district builds its catalog
# from the professional learning above (not the task force's committee work) and these;
# seed_demo shows Birmingham's alone. Each strand and course is written once, here.
LARGER_DISTRICT_STRANDS = (
    StrandSpec(
        "lit", "Literacy", "#00695c",
        "Reading and writing in every subject: the science of reading, structured literacy and "
        "support for multilingual learners.",
    ),
    StrandSpec(
        "math", "Mathematics", "#4527a0",
        "Number sense, productive struggle and intervention, from the first grades to algebra.",
    ),
    StrandSpec(
        "tech", "Technology", "#37474f",
        "Digital citizenship, accessible materials, student data privacy and blended learning.",
    ),
    StrandSpec(
        "nti", "New Teacher Induction", "#5d4037",
        "A strong start for teachers new to the district: induction seminars and mentoring.",
    ),
)  # fmt: skip

IN_PERSON, VIRTUAL, HYBRID = CourseFormat.IN_PERSON, CourseFormat.VIRTUAL, CourseFormat.HYBRID
LARGER_DISTRICT_COURSES = (
    CourseSpec("crt-210", "Culturally Sustaining Texts", "crt", "3",
               "Choosing and teaching texts in which students see themselves and others.",
               format=HYBRID),
    CourseSpec("crt-220", "High Expectations for Every Student", "crt", "3",
               "Warm demands: feedback, questioning and grouping that expect the most of every "
               "student."),
    CourseSpec("rp-210", "Restorative Conferences for Leaders", "rp", "6",
               "Deciding when a conference fits, and supporting staff through one."),
    CourseSpec("rp-220", "Alternatives to Exclusion", "rp", "1.5",
               "What to do instead of suspension: reflection, repair and re-entry.",
               format=VIRTUAL),
    CourseSpec("sel-301", "Trauma-Informed Classrooms", "sel", "6",
               "Routines, regulation and relationships for classrooms where stress runs high.",
               evaluation_required=True),
    CourseSpec("ce-210", "Character Across the Curriculum", "ce", "3",
               "Character traits taught through the content areas, not beside them.",
               format=HYBRID),
    CourseSpec("ce-220", "Student Leadership and Voice", "ce", "3",
               "Student councils, advisory boards and class meetings that students lead."),
    CourseSpec("ce-301", "Character Education Coordinators' Institute", "ce", "6",
               "For each building's coordinator: planning the year's character education.",
               requires_approval=True),
    CourseSpec("dei-210", "Implicit Bias and Decision Making", "dei", "3",
               "How bias enters discipline, grading and placement decisions, and how to check it."),
    CourseSpec("dei-301", "Leading for Equity Institute", "dei", "12",
               "Two days for leaders: an equity plan for their building, built on its data.",
               evaluation_required=True, requires_approval=True,
               audience_positions=BUILDING_LEADERS),
    CourseSpec("lit-101", "Science of Reading: Foundations", "lit", "6",
               "How children learn to read, and what that means for the teaching of reading."),
    CourseSpec("lit-201", "Structured Literacy in Practice", "lit", "6",
               "Explicit, systematic phonics and language lessons, practised with coaching."),
    CourseSpec("lit-210", "Writing Across the Curriculum", "lit", "3",
               "Short, frequent writing that deepens learning in every subject."),
    CourseSpec("lit-220", "Supporting Multilingual Learners", "lit", "3",
               "Language objectives, scaffolds and families' languages as assets.",
               format=HYBRID),
    CourseSpec("lit-301", "Literacy Coaching", "lit", "8",
               "For coaches and lead teachers: coaching cycles in literacy."),
    CourseSpec("math-101", "Number Talks", "math", "1.5",
               "Short daily discussions that build number sense and flexible strategies."),
    CourseSpec("math-201", "Productive Struggle in Mathematics", "math", "3",
               "Tasks and questions that let students wrestle with mathematics and succeed."),
    CourseSpec("math-210", "Math Intervention Strategies", "math", "3",
               "Finding and closing gaps with targeted, short-cycle intervention."),
    CourseSpec("math-220", "Data-Driven Instruction", "math", "3",
               "Reading assessment data to plan the next lesson.", format=VIRTUAL),
    CourseSpec("math-301", "Mathematics Leadership Academy", "math", "12",
               "For teacher leaders: leading a building's mathematics work.",
               requires_approval=True),
    CourseSpec("tech-101", "Digital Citizenship and Online Safety", "tech", "1.5",
               "Teaching safe, kind and critical use of the internet.", format=VIRTUAL),
    CourseSpec("tech-201", "Accessible Digital Materials", "tech", "1.5",
               "Documents, slides and videos that every student can use.", format=VIRTUAL),
    CourseSpec("tech-210", "Learning Management System Essentials", "tech", "1.5",
               "Courses, assignments and feedback in the district's learning platform.",
               format=VIRTUAL),
    CourseSpec("tech-220", "Student Data Privacy", "tech", "1.5",
               "What student data may be shared, with whom, and how to keep it safe.",
               format=VIRTUAL),
    CourseSpec("tech-301", "Blended Learning Design", "tech", "6",
               "Designing units that mix online and in-person learning.", format=HYBRID),
    CourseSpec("nti-101", "New Teacher Induction Seminar", "nti", "8",
               "Four after-school meetings for the new teacher cohort: the district, its students "
               "and its plan."),
)  # fmt: skip


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
            # Due mid-year with few seats before then: behind, and short of seats, in the demo.
            RequirementSpec(
                "40% of teachers and counselors complete Supporting Students Through Trauma",
                (1, 31), 40, course="sel-201",
                categories=(PositionCategory.TEACHER,), positions=("counselor",),
                count_earlier=True,
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
# Committee meetings earn no clock hours.
COMMITTEE_WORKSHOP = Slot(time(17, 0), time(20, 0), Decimal("0"))
COMMITTEE_REVIEW = Slot(time(17, 0), time(19, 0), Decimal("0"))
DESIGN_TEAM_MEETING = Slot(time(16, 0), time(18, 0), Decimal("0"))
STEERING_MEETING = Slot(time(16, 0), time(17, 30), Decimal("0"))

MON, TUE, WED, THU, FRI, SAT = range(6)


@dataclass(frozen=True)
class AroundToday:
    """So many days from today, moved to the nearest Tuesday-Thursday away from today. A series
    that would meet in a break moves as a whole, further away from today."""

    days: int
    # Not before the session's group was hired: early in a school year a new cohort's series
    # comes after today instead of before it.
    after_group_hired: bool = False


@dataclass(frozen=True)
class Today:
    """The day the demo is seeded, whatever day it is (a weekend or a break included: a drop-in
    lab may meet then), so the facilitator always has a meeting whose attendance is still to
    take."""


@dataclass(frozen=True)
class InPlanYear:
    """The nth weekday of a month of a plan year (0, 1, 2); nth -1 is the last."""

    year: int
    month: int
    weekday: int
    nth: int


@dataclass(frozen=True)
class OnRealDate:
    """A date reported on the district's pages: Advisory Committee Workshop 1 only."""

    day: date


@dataclass(frozen=True)
class OnInventedDate:
    """A fixed date invented for the demo, not from the district's pages: placed in the same
    season as Workshop 1 (December 2021 to March 2022), so the task force's committees have more
    than one meeting."""

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
    when: AroundToday | Today | InPlanYear | OnRealDate | OnInventedDate
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
    # Requests waiting for approval come from this building's staff first (the demo leader's).
    pending_building: str = ""
    absent_rate: float = 0.07  # past sessions: share who missed a meeting (incomplete)
    facilitators: tuple[str, ...] = ()  # demo roles or position codes
    demo_enrolled: tuple[DemoRole, ...] = ()
    demo_waitlisted: tuple[DemoRole, ...] = ()
    # Past sessions: these demo logins attended every meeting and have not evaluated yet.
    demo_evaluation_due: tuple[DemoRole, ...] = ()
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
# What people write when they ask their building leader for a seat ("" asks without a note).
REQUEST_NOTES = (
    "Our grade team would like to bring this back to our PLC this spring.",
    "",
    "This fits the goal in my growth plan, and my sub is already arranged for that day.",
    "I missed the fall session because of conferences.",
)
CANCELLED_NOTES = "Cancelled: the facilitator is unavailable. Please choose another date."
CANCELLED_REASON = "The session was cancelled; please choose another date."
INSTITUTE_NOTES = "Stipend paid for each day attended. Breakfast and lunch provided."

EAB_PL_CENTER = "Professional Learning Center"
EAB_BOARD_ROOM = "Board Room"

SESSIONS = (
    # The strategic planning task force. Workshop 1 is the district's own report; its other
    # meetings are invented, placed in the same season.
    SessionSpec(
        "tf-design", OnInventedDate(date(2021, 12, 8)), DESIGN_TEAM_MEETING, 12,
        title="Process design", building=EAB, room=EAB_BOARD_ROOM, group="core-design-team",
        whole_group=True, absent_rate=0, facilitators=("superintendent",), registration_days=21,
    ),
    SessionSpec(
        "tf-advisory", OnRealDate(date(2022, 1, 5)), COMMITTEE_WORKSHOP, 35, title="Workshop 1",
        building=EAB, room=EAB_BOARD_ROOM, group="advisory-committee", whole_group=True,
        absent_rate=0, facilitators=("superintendent", DemoRole.DISTRICT_PD),
        registration_days=21, notes=WORKSHOP_1_NOTES,
    ),
    SessionSpec(
        "tf-design", OnInventedDate(date(2022, 1, 19)), DESIGN_TEAM_MEETING, 12,
        title="Recommendations from Workshop 1", building=EAB, room=EAB_BOARD_ROOM,
        group="core-design-team", whole_group=True, absent_rate=0,
        facilitators=("superintendent",), registration_days=21,
    ),
    SessionSpec(
        "tf-advisory", OnInventedDate(date(2022, 2, 2)), COMMITTEE_WORKSHOP, 35,
        title="Workshop 2", building=EAB, room=EAB_BOARD_ROOM, group="advisory-committee",
        whole_group=True, absent_rate=0.1, facilitators=("superintendent", DemoRole.DISTRICT_PD),
        registration_days=21,
    ),
    SessionSpec(
        "tf-review", OnInventedDate(date(2022, 2, 23)), COMMITTEE_REVIEW, 35,
        title="Review of drafts", building=EAB, room=EAB_BOARD_ROOM, group="review-committee",
        whole_group=True, absent_rate=0.1, facilitators=(DemoRole.DISTRICT_PD, "pl-coordinator"),
        registration_days=21,
    ),
    SessionSpec(
        "tf-design", OnInventedDate(date(2022, 3, 9)), DESIGN_TEAM_MEETING, 12,
        title="Action plan", building=EAB, room=EAB_BOARD_ROOM, group="core-design-team",
        whole_group=True, absent_rate=0, facilitators=("superintendent",), registration_days=21,
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
    # New teachers' foundations, once they are hired.
    SessionSpec(
        "crt-101", AroundToday(-62, after_group_hired=True), AFTER_SCHOOL_LONG, 30,
        title="New Teacher Cohort", meetings=3, building=EAB, room=EAB_PL_CENTER,
        group=NEW_TEACHER_COHORT, fill=0.9, facilitators=("instructional-coach",),
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
        "rp-201", Today(), AFTER_SCHOOL_LONG, 25, title="Drop-in circle lab",
        building="maple", room="Library",
        categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT), fill=0.8,
        facilitators=(DemoRole.FACILITATOR,),
    ),
    SessionSpec(
        "sel-210", AroundToday(-6), VIRTUAL_EVENING, 60, title="December evening",
        virtual=True, categories=(PositionCategory.TEACHER, PositionCategory.SUPPORT), fill=0.7,
        facilitators=("counselor",), demo_evaluation_due=(DemoRole.TEACHER,),
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
    # Under way: two meetings behind, two ahead (unless a break is near: a series never
    # meets across one).
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
    # Full with a waitlist. Here, in the other full session and in the one with a seat left,
    # registration opens 90 days ahead: open in June too, when summer pushes them to August.
    SessionSpec(
        "rp-101", AroundToday(12), AFTER_SCHOOL, 25, title="Two Tuesdays", meetings=2,
        building="maple", room="Media Center", seats_left=0, waitlist=5,
        facilitators=(DemoRole.FACILITATOR,), demo_waitlisted=(DemoRole.TEACHER,),
        registration_days=90,
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
        registration_days=90,
    ),
    # One seat left, and the demo teacher is not in it.
    SessionSpec(
        "sel-210", AroundToday(20), VIRTUAL_EVENING, 30, virtual=True, seats_left=1,
        facilitators=("school-psychologist",), registration_days=90,
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
        fill=0.5, pending=10, pending_building="maple",
        facilitators=(DemoRole.DISTRICT_PD, "pl-coordinator", "instructional-coach"),
        registration_days=200, notes=INSTITUTE_NOTES,
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


@dataclass(frozen=True)
class OutsideActivitySpec:
    """Outside learning submitted and waiting for district PD's review."""

    person: DemoRole | str  # a demo login, or a position code (the first such person)
    title: str
    provider: str
    days_ago: int  # the activity's last day, so many days before today
    days: int
    hours: str
    strand: str
    description: str = ""


OUTSIDE_ACTIVITIES = (
    OutsideActivitySpec(
        DemoRole.TEACHER,
        "Restorative Justice in Schools Summer Institute",
        "Oakland University",
        130,
        3,
        "18",
        "rp",
        "Circles for community building and for repairing harm; planning re-entry meetings.",
    ),
    OutsideActivitySpec(
        "counselor",
        "Michigan School Counselor Association Fall Conference",
        "MSCA",
        40,
        2,
        "11.5",
        "sel",
        "Sessions on anxiety, attendance and SEL screening.",
    ),
)

# The evidence the demo attaches: a one-page PDF, written here, that says what it is.
DEMO_EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 70>>stream\nBT /F1 24 Tf 72 700 Td (Certificate of attendance: demo) Tj ET\n"
    b"endstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
