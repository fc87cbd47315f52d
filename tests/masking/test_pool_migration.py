"""The pools migration, from the schema before it with data in it (numbers, a session on one),
forward and backward: an existing deployment becomes one pool holding every number."""

import pytest

BEFORE = ("masking", "0019_session_started_index")
AFTER = ("masking", "0022_pools_number_pool_required")


def _today_with_data(state):
    """What the release before pools holds: two numbers, one with an open session."""
    number = state.apps.get_model("masking", "VirtualNumber")
    session = state.apps.get_model("masking", "MaskingSession")
    participant = state.apps.get_model("masking", "Participant")
    first = number.objects.create(number="+6531500001", label="riders 1", open_sessions=1)
    number.objects.create(number="+6531500002", label="riders 2")
    opened = session.objects.create(virtual_number=first)
    for n, (role, phone) in enumerate([("a", "+6591230001"), ("b", "+6591230002")]):
        participant.objects.create(
            session=opened, virtual_number=first, role=role, number=phone, holds_routing_key=n == 0
        )
    return opened.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("subaccount", ["acme-sg-01", ""])
def test_every_number_joins_one_pool_named_after_the_subaccount(migrator, settings, subaccount):
    settings.EIGHTX8_SUBACCOUNT_ID = subaccount
    session_id = _today_with_data(migrator.apply_initial_migration(BEFORE))

    after = migrator.apply_tested_migration(AFTER)
    pool = after.apps.get_model("masking", "Pool").objects.get()
    assert pool.name == (subaccount or "default")
    assert pool.is_deployment_pool
    number = after.apps.get_model("masking", "VirtualNumber")
    assert set(number.objects.values_list("pool_id", flat=True)) == {pool.pk}
    assert number.objects.get(number="+6531500001").open_sessions == 1
    assert after.apps.get_model("masking", "MaskingSession").objects.get(pk=session_id)
    # Its rules are the environment's: every column empty.
    assert pool.pin_length is None and pool.recording_consent == ""

    back = migrator.apply_tested_migration(BEFORE)
    numbers = back.apps.get_model("masking", "VirtualNumber").objects.order_by("number")
    assert [str(n.number) for n in numbers] == ["+6531500001", "+6531500002"]
    assert back.apps.get_model("masking", "Participant").objects.count() == 2
