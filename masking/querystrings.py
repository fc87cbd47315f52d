"""Query-string parameters Django's admin mishandles, made harmless before any view reads them.

`?_to_field=` with an empty value passes the admin's "is this field allowed" test (it tests for a
value first) and then names no field: every change, delete and history page answered a 500.
Empty means "not given", so it is dropped. `tests/hardening/test_fuzz_query_strings.py` fuzzes
every admin and API URL's query string.
"""

from django.contrib.admin.options import TO_FIELD_VAR


class QueryStringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if TO_FIELD_VAR in request.GET and not request.GET.get(TO_FIELD_VAR):
            query = request.GET.copy()
            del query[TO_FIELD_VAR]
            request.GET = query
        return self.get_response(request)
