from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import access


def navigation(request: HttpRequest) -> dict:
    """The signed-in user's staff record and roles, so the base template shows their name,
    position and the links they may use. Lazy: pages that never look spend no query on them.
    Whether password reset by mail is on, for the sign-in pages' "Forgot your password?"."""
    return {
        "current_staff": SimpleLazyObject(lambda: access.staff_of(request.user)),
        "roles": SimpleLazyObject(lambda: access.roles_of(request.user)),
        "district_name": settings.DISTRICT_NAME,
        "password_reset_enabled": settings.PASSWORD_RESET_ENABLED,
        "sign_in_code_minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
    }
