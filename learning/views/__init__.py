from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from learning import access


def home(request: HttpRequest) -> HttpResponse:
    """Where each person starts: leaders and district PD on their start page, HR on theirs,
    everyone else with a staff record on My learning; visitors (and a login without a staff
    record or a role) on the catalog, the one page everyone may use."""
    roles = access.roles_of(request.user)
    if access.Role.DISTRICT_PD in roles or access.Role.BUILDING_LEADER in roles:
        return redirect("leaders:start")
    if access.Role.HR in roles:
        return redirect("hr:start")
    if access.Role.STAFF in roles:
        return redirect("enrollment:me")
    return redirect("catalog:index")
