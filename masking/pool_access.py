"""Who sees which pools: the one rule every API route and admin page applies.

A user given pools (`Pool.users`) sees, opens and changes rows of those pools only; a user given
no pool sees every pool, as everyone did before pools (so an existing deployment's staff and API
users keep what they had, without a migration touching them). Rows of other pools are not
"forbidden" but absent: the query itself leaves them out, so a 404 tells nothing and no lookup of
another pool's data ever runs.
"""

from django.db.models import QuerySet

from masking.models import Pool

# How a model reaches its pool: a path to a Pool foreign key ("virtual_number__pool").
PoolPath = str


def granted_pools(user) -> QuerySet | None:
    """The pools `user` is limited to, or None for every pool. Read once per request's user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Pool.objects.none()
    if not hasattr(user, "_masking_pool_ids"):
        user._masking_pool_ids = list(user.masking_pools.values_list("pk", flat=True))
    ids = user._masking_pool_ids
    return Pool.objects.filter(pk__in=ids) if ids else None


def sees_every_pool(user) -> bool:
    """Whether `user` is given no pool, and so sees every pool."""
    return granted_pools(user) is None


def within_pools(queryset: QuerySet, *, user, path: PoolPath) -> QuerySet:
    """`queryset` limited to the rows of the pools `user` may see."""
    pools = granted_pools(user)
    if pools is None:
        return queryset
    return queryset.filter(**{f"{path}__in": pools})
