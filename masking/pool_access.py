"""Who sees which pools: the one rule every API route and admin page applies.

A user given pools (`Pool.users`) sees, opens and changes rows of those pools only; a user given
no pool sees every pool, as everyone did before pools (so an existing deployment's staff and API
users keep what they had, without a migration touching them). Rows of other pools are not
"forbidden" but absent: the query itself leaves them out, so a 404 tells nothing and no lookup of
another pool's data ever runs.
"""

from collections.abc import Callable

from django.db.models import Q, QuerySet

from masking.models import Pool

# How a model reaches its pool: a path to a Pool foreign key ("virtual_number__pool"), or a
# function of the granted pools giving the condition (for rows tied to a pool by number only).
PoolPath = str | Callable[[QuerySet], Q]


def by_dialled_number(field: str) -> Callable[[QuerySet], Q]:
    """The path of rows tied to a pool by a number kept as text (a call's dialled number)."""
    from masking.models import VirtualNumber

    def condition(pools: QuerySet) -> Q:
        return Q(**{f"{field}__in": VirtualNumber.objects.filter(pool__in=pools).values("number")})

    return condition


def granted_pools(user) -> QuerySet | None:
    """The pools `user` is limited to, or None for every pool. Read once per request's user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Pool.objects.none()
    if not hasattr(user, "_masking_pool_ids"):
        user._masking_pool_ids = list(user.masking_pools.values_list("pk", flat=True))
    ids = user._masking_pool_ids
    return Pool.objects.filter(pk__in=ids) if ids else None


def within_pools(queryset: QuerySet, *, user, path: PoolPath) -> QuerySet:
    """`queryset` limited to the rows of the pools `user` may see."""
    pools = granted_pools(user)
    if pools is None:
        return queryset
    if callable(path):
        return queryset.filter(path(pools))
    return queryset.filter(**{f"{path}__in": pools})
