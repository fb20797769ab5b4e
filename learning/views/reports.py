"""/leaders/ report pages."""

from django.http import Http404


def dashboard(request):
    raise Http404


def people(request):
    raise Http404


def outstanding(request):
    raise Http404
