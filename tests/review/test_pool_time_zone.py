"""Review of issues 30 and 31 together: a pool's operations time zone (Pool.operations_time_zone,
"its operations time zone", issue 31) was stored and validated but nothing read it: a session
opened on a Jakarta pool's number kept the deployment's calling-hours default zone, so its
"08:00-20:00" turned callers away at the wrong hours. Now its default zone is its pool's."""

import pytest

from tests.factories import PoolFactory, VirtualNumberFactory

pytestmark = pytest.mark.django_db


def test_default_calling_hours_are_in_the_numbers_pools_zone(api, settings):
    settings.MASKING_OPERATIONS_TIME_ZONE = "Asia/Singapore"
    settings.MASKING_SESSION_TIME_ZONE = ""
    settings.MASKING_SESSION_CALLING_HOURS = "08:00-20:00"
    jakarta = PoolFactory(name="Indonesia", operations_time_zone="Asia/Jakarta")
    VirtualNumberFactory(number="+6531500501", pool=jakarta)
    opened = api.post(
        "/api/sessions/",
        {
            "participant_a": "+6598761201",
            "participant_b": "+6598761202",
            "virtual_number": "+6531500501",
        },
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    assert opened.json()["rules"]["calling_hours"]["time_zone"] == "Asia/Jakarta"
