"""Review of issues 29/30 and 31 together: PINs the API generates on a pool's number have the
pool's length, the length its keypad prompt asks for."""

import pytest

from tests.factories import PoolFactory, VirtualNumberFactory

pytestmark = pytest.mark.django_db


def test_generated_pins_have_the_numbers_pools_length(api, settings):
    settings.MASKING_PIN_LENGTH = 6
    short = PoolFactory(name="Short PINs", pin_length=5)
    VirtualNumberFactory(number="+6531500601", pool=short)
    opened = api.post(
        "/api/sessions/",
        {
            "participant_a": "+6598761201",
            "participant_b": "+6598761202",
            "virtual_number": "+6531500601",
            "generate_pins": True,
        },
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    assert len(opened.json()["pin_a"]) == len(opened.json()["pin_b"]) == 5
