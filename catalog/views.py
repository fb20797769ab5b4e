from django.http import HttpResponse


def catalog_index(request):
    return HttpResponse("Catalog")
