"""Django's user admin, for staff who see every pool only when it changes anything.

A user given no pool sees every pool (masking.pool_access), and a new User is given none: a
member given pools who could add a user, or set the password of a colleague (who sees every
pool, or other pools), would see every pool through them. As with adding or deleting a pool
(masking/admin/pools.py), adding, changing or deleting users is for staff who see every pool;
members given pools may still read the list, with their permission."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from masking.admin.base import EveryPoolWrites


class PoolAwareUserAdmin(EveryPoolWrites, UserAdmin):
    every_pool_writes = ("add", "change", "delete")


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PoolAwareUserAdmin)
