"""Calls keep their pool (callflows 0014), from the schema before it with calls in it, forward
and backward: each existing call takes its number's pool, a call to no pool's number none; the
change feed is not sent every call again; the roll-up (0015) then sums each pool's calls."""

import pytest
from django.db import connection

BEFORE = ("callflows", "0013_call_search_indexes")
POOLED = ("callflows", "0014_call_pool")
ROLLED_UP = ("callflows", "0015_call_rollup")


def _calls_of_today(state) -> dict[str, int]:
    """Two pools' numbers, a call on each and one to a number that is no pool's."""
    pool = state.apps.get_model("masking", "Pool")
    number = state.apps.get_model("masking", "VirtualNumber")
    call = state.apps.get_model("callflows", "Call")
    pools = {
        name: pool.objects.create(name=name, subaccount_id=f"acme-{name}") for name in ("sg", "my")
    }
    number.objects.create(number="+6531500001", pool=pools["sg"])
    number.objects.create(number="+6031500001", pool=pools["my"])
    for n, dialled in enumerate(["+6531500001", "+6031500001", "+15550000", ""]):
        call.objects.create(provider_session_id=f"c{n}", virtual_number=dialled, outcome="connect")
    return {name: p.pk for name, p in pools.items()}


def _change_stamps(state) -> list:
    call = state.apps.get_model("callflows", "Call")
    return list(call.objects.order_by("id").values_list("change_tx", "changed_at"))


@pytest.mark.django_db(transaction=True)
def test_every_call_takes_its_numbers_pool_forward_and_back(migrator):
    before = migrator.apply_initial_migration(BEFORE)
    pools = _calls_of_today(before)
    stamps = _change_stamps(before)

    after = migrator.apply_tested_migration(POOLED)
    call = after.apps.get_model("callflows", "Call")
    assert dict(call.objects.values_list("provider_session_id", "pool_id")) == {
        "c0": pools["sg"],
        "c1": pools["my"],
        "c2": None,
        "c3": None,
    }
    assert _change_stamps(after) == stamps  # the feed of changes: nothing new to send

    rolled = migrator.apply_tested_migration(ROLLED_UP)
    day = rolled.apps.get_model("callflows", "CallDay")
    totals = {p: 0 for p in [*pools.values(), None]}
    for pool_id, calls in day.objects.values_list("pool_id", "calls"):
        totals[pool_id] += calls
    assert totals == {pools["sg"]: 1, pools["my"]: 1, None: 2}

    back = migrator.apply_tested_migration(BEFORE)
    with connection.cursor() as cursor:
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, "callflows_call")
        }
    assert "pool_id" not in columns
    assert back.apps.get_model("callflows", "Call").objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_migration_rebuilding_a_table_the_roll_up_names_keeps_the_roll_up(settings):
    """On SQLite, Django alters a table by building a new one and renaming it over the old, and
    SQLite refuses the rename while a trigger names the table: masking 0031 (a column on
    `masking_pool`, which the roll-up's triggers read a pool's zone from) failed `migrate` with
    "error in trigger callflows_call_rollup_insert: no such table: main.masking_pool"."""
    from django.core.management import call_command

    from callflows.decision import Decision, Outcome
    from callflows.models import CallDay
    from callflows.records import call_record_answer
    from tests.factories import PoolFactory, VirtualNumberFactory

    def answered(call):
        call_record_answer(
            provider_session_id=call,
            event_id=f"e-{call}",
            virtual_number="+6531500101",
            caller="+6591230001",
            decision=Decision(outcome=Outcome.CONNECT),
            answer_json="{}",
        )

    pool = PoolFactory(name="Singapore")
    VirtualNumberFactory(number="+6531500101", pool=pool)
    answered("before")
    call_command("migrate", "masking", "0030", verbosity=0)
    call_command("migrate", verbosity=0)
    answered("after")
    assert sum(CallDay.objects.filter(pool=pool).values_list("calls", flat=True)) == 2
