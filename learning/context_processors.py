from django.http import HttpRequest

from . import access


def navigation(request: HttpRequest) -> dict:
    """The roles of the signed-in user, so the base template shows the links they may use."""
    return {"roles": access.roles_of(request.user), "district_name": access.district_name()}
