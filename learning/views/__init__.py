from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    """The site's front door is the catalog: the one page every visitor may use."""
    return redirect("catalog:index")
