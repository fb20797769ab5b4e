"""The enrollment pages: a person's own learning, facilitators' rosters, leaders' approvals and
assignments, certificates and their public verification."""

from django.urls import path

from . import views

app_name = "enrollment"

urlpatterns = [
    # Everyone with a login: their own learning.
    path("me/", views.participant.me, name="me"),
    path("me/transcript/", views.participant.transcript, name="transcript"),
    path("me/transcript.xlsx", views.participant.transcript_xlsx, name="transcript-xlsx"),
    path("staff/<int:pk>/transcript/", views.participant.staff_transcript, name="staff-transcript"),
    path(
        "me/enrollments/<int:pk>/evaluation/",
        views.participant.evaluation_form,
        name="evaluation",
    ),
    path("sessions/<int:pk>/enroll/", views.participant.enroll, name="enroll"),
    path("enrollments/<int:pk>/withdraw/", views.participant.withdraw, name="withdraw"),
    path("me/outside/", views.outside.outside, name="outside"),
    path("outside/<int:pk>/evidence/", views.outside.outside_evidence, name="outside-evidence"),
    path("check-in/", views.participant.check_in, name="check-in"),
    path("check-in/<str:code>/", views.participant.check_in, name="check-in-code"),
    path("completions/<int:pk>/certificate/", views.participant.certificate, name="certificate"),
    path(
        "completions/<int:pk>/certificate.pdf",
        views.participant.certificate_pdf,
        name="certificate-pdf",
    ),
    # Anyone: check a certificate.
    path("verify/", views.participant.verify_lookup, name="verify-lookup"),
    path("verify/<str:code>/", views.participant.verify, name="verify"),
    # Facilitators and district PD.
    path("teaching/", views.facilitator.teaching, name="teaching"),
    path("sessions/<int:pk>/roster/", views.facilitator.roster, name="roster"),
    path(
        "sessions/<int:pk>/meetings/<int:meeting_pk>/attendance/",
        views.facilitator.attendance,
        name="attendance",
    ),
    path(
        "sessions/<int:pk>/meetings/<int:meeting_pk>/check-in/",
        views.facilitator.check_in_screen,
        name="check-in-screen",
    ),
    path("sessions/<int:pk>/sign-in.xlsx", views.facilitator.signin_sheet, name="signin-sheet"),
    # Building leaders and district PD.
    path("sessions/<int:pk>/assign/", views.leaders.assign, name="assign"),
    path("leaders/approvals/", views.leaders.approvals, name="approvals"),
    path("leaders/approvals/decide/", views.leaders.decide_many, name="approvals-decide"),
    path("enrollments/<int:pk>/approve/", views.leaders.approve, name="approve"),
    path("enrollments/<int:pk>/decline/", views.leaders.decline, name="decline"),
    # District PD.
    path("outside/review/", views.outside.outside_review, name="outside-review"),
    path("outside/<int:pk>/approve/", views.outside.outside_approve, name="outside-approve"),
    path("outside/<int:pk>/decline/", views.outside.outside_decline, name="outside-decline"),
]
