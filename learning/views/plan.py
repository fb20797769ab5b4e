"""/leaders/plan/ pages."""

from django.http import Http404


def plan(request):
    raise Http404


def year_edit(request, pk=None):
    raise Http404


def goal_edit(request, pk=None):
    raise Http404


def goal_delete(request, pk):
    raise Http404


def requirement_edit(request, pk=None):
    raise Http404


def requirement_delete(request, pk):
    raise Http404
