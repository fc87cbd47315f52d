"""Choosing a virtual number for a new pairing.

The rule, in this order (README, "Allocation"):

1. only active numbers with room (fewer open sessions than their pool's capacity), in the pools
   asked for (an API user's);
2. prefer a number in the participants' country;
3. never a number either participant already holds in an open session (their routing key there
   is taken: a call from them could not tell the two sessions apart);
4. for a session with PINs, only numbers with room for two more PINs within the guessing bound
   (`masking.pins`);
5. among the rest, the number these two used last time (callers recognise it), then the least
   loaded, then the lowest id so the choice is deterministic.

This module only chooses. Opening is `session_create`, which retries when a concurrent request
took the chosen key first: the database constraint on routing keys decides races, not this code.
"""

import phonenumbers
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from masking.models import MaskingSession, Participant, Pool, VirtualNumber
from masking.pins import pin_room
from masking.pool_rules import deployment_rules


class PoolExhausted(Exception):
    """No active number is free for these two participants."""

    code = "pool_exhausted"
    message = _(
        "The pool is exhausted for these participants: every active virtual number is already "
        "paired with one of them in an open session. Add numbers to the pool or close a session."
    )

    def __str__(self):
        return str(self.message)


def _country(number) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(str(number))) or ""
    except phonenumbers.NumberParseException:
        return ""


def _per_pool(value) -> Case:
    """`value(rules)` for each number's pool, as SQL: pools are few, their rules resolved here."""
    return Case(
        *(When(pool_id=pool.pk, then=Value(value(pool.rules))) for pool in Pool.objects.all()),
        default=Value(value(deployment_rules())),
        output_field=IntegerField(),
    )


def _pin_room(rules) -> int:
    return pin_room(length=rules.pin_length, one_in=rules.pin_guess_one_in)


def allocation_candidates(*, participant_a, participant_b, pins: bool = False, pools=None):
    """Active numbers free for both participants, best first (see the module docstring). With
    `pools`, only their numbers."""
    numbers = [str(participant_a), str(participant_b)]
    held = Participant.objects.filter(holds_routing_key=True, number__in=numbers).values(
        "virtual_number_id"
    )
    countries = {c for c in map(_country, numbers) if c}
    last_used = (
        MaskingSession.objects.filter(participants__number=numbers[0])
        .filter(participants__number=numbers[1])
        .order_by("-started_at", "-id")
        .values("virtual_number_id")[:1]
    )
    candidates = VirtualNumber.objects.allocatable()
    if pools is not None:
        candidates = candidates.filter(pool__in=pools)
    if pins:
        active_pins = (
            Participant.objects.filter(virtual_number=OuterRef("pk"), holds_routing_key=True)
            .exclude(pin_hash="")
            .order_by()
            .values("virtual_number")
            .annotate(n=Count("pk"))
            .values("n")
        )
        candidates = candidates.annotate(
            active_pins=Coalesce(Subquery(active_pins), Value(0))
        ).filter(active_pins__lte=_per_pool(_pin_room) - 2)
    return (
        candidates.filter(open_sessions__lt=_per_pool(lambda rules: rules.number_capacity))
        .exclude(pk__in=held)
        .annotate(
            in_country=Case(
                When(country__in=countries, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            sticky=Case(
                When(pk=Subquery(last_used), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("-in_country", "-sticky", "open_sessions", "pk")
    )


def number_allocate(
    *, participant_a, participant_b, exclude_ids=(), pins: bool = False, pools=None
) -> VirtualNumber:
    """The best free number for this pair (with room for their PINs when `pins`), among `pools`'
    numbers when given. Raises PoolExhausted when there is none."""
    number = (
        allocation_candidates(
            participant_a=participant_a, participant_b=participant_b, pins=pins, pools=pools
        )
        .exclude(pk__in=list(exclude_ids))
        .first()
    )
    if number is None:
        raise PoolExhausted
    return number
