"""Django's user admin, for staff who see every pool only when it changes anything.

A user given no pool sees every pool (masking.pool_access), and a new User is given none: a
member given pools who could add a user, or set the password of a colleague (who sees every
pool, or other pools), would see every pool through them. As with adding or deleting a pool
(masking/admin/pools.py), adding, changing or deleting users is for staff who see every pool;
members given pools may still read the list, with their permission."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from masking.pool_access import granted_pools


class PoolAwareUserAdmin(UserAdmin):
    def _sees_every_pool(self, request) -> bool:
        return granted_pools(request.user) is None

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._sees_every_pool(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._sees_every_pool(request)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._sees_every_pool(request)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PoolAwareUserAdmin)
