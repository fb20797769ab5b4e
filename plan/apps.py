from django.apps import AppConfig


class PlanConfig(AppConfig):
    """The plan's progress: the progress engine, the /leaders/ reports, plan pages, workbooks,
    charts and the progress API. Its models (Plan, PlanYear, Goal, Requirement) are the
    district's, in learning."""

    name = "plan"
    verbose_name = "Plan progress"
