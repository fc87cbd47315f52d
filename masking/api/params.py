"""Query parameters the API does not know are refused, as unknown body fields are
(`StrictSerializer`): `?sesion=4` must be a 400 naming it, not every call.

A mixin of every API viewset, checked in `initial()` after authentication, permissions and
throttles (a caller without rights learns nothing from it) and before any handler: reads, lookups
and writes alike. Known are the view's filters, its paginator's parameters and `format`.
"""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers


def known_params(view) -> set[str]:
    known = {"format"}
    filterset_class = DjangoFilterBackend().get_filterset_class(view, view.get_queryset())
    if filterset_class is not None:
        known |= set(filterset_class.base_filters)
    paginator = view.paginator
    if paginator is not None:
        known |= set(getattr(paginator, "query_params", ()))
        known |= {
            name
            for name in (
                getattr(paginator, "page_query_param", None),
                getattr(paginator, "page_size_query_param", None),
            )
            if name
        }
    return known


class StrictQueryParams:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - known_params(self))
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown query parameter."] for name in unknown}
            )
