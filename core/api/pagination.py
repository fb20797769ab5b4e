from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MSG_INVALID_PAGE = "A page is a whole number from 1."


class StandardPagination(PageNumberPagination):
    """Pages of 50 by default; clients may ask for up to 500 with ?page_size=. A page that is not
    a whole number from 1 is a 400 naming `page`; a page past the last is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        if number in self.last_page_strings or (
            str(number).isascii() and str(number).isdigit() and int(number) >= 1
        ):
            return number
        raise ValidationError({self.page_query_param: [MSG_INVALID_PAGE]})

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
