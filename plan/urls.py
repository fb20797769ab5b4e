"""/leaders/: progress against the plan for building leaders and district PD, the people behind
each number, who still needs what, the workbook and CSV downloads, and the plan's own pages
(managed by district PD). Approvals live with enrollment at /leaders/approvals/."""

from django.urls import path

from plan.views import downloads, plan, reports, start, subscriptions

app_name = "leaders"

urlpatterns = [
    path("", reports.dashboard, name="dashboard"),
    path("start/", start.start, name="start"),
    path("people/", reports.people, name="people"),
    path("outstanding/", reports.outstanding, name="outstanding"),
    path("completions.xlsx", downloads.workbook, name="workbook"),
    path("completions.xlsx/prepare/", downloads.workbook_prepare, name="workbook-prepare"),
    path("outstanding.csv", downloads.outstanding_csv, name="outstanding-csv"),
    path("subscriptions/", subscriptions.subscriptions, name="subscriptions"),
    path("subscriptions/<int:pk>/stop/", subscriptions.subscription_stop, name="subscription-stop"),
    path(
        "subscriptions/stop/<str:token>/",
        subscriptions.unsubscribe,
        name="subscription-unsubscribe",
    ),
    path("plan/", plan.plan, name="plan"),
    path("plan/years/new/", plan.year_edit, name="year-new"),
    path("plan/years/<int:pk>/edit/", plan.year_edit, name="year-edit"),
    path("plan/goals/new/", plan.goal_edit, name="goal-new"),
    path("plan/goals/<int:pk>/edit/", plan.goal_edit, name="goal-edit"),
    path("plan/goals/<int:pk>/delete/", plan.goal_delete, name="goal-delete"),
    path("plan/requirements/new/", plan.requirement_edit, name="requirement-new"),
    path("plan/requirements/<int:pk>/edit/", plan.requirement_edit, name="requirement-edit"),
    path("plan/requirements/<int:pk>/delete/", plan.requirement_delete, name="requirement-delete"),
]
