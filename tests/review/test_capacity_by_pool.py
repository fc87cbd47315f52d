"""Review of issues 28 and 31 together: a number is full at its pool's capacity, so the
dashboard's numbers needing attention and the numbers list's "full" filter read the pool's
capacity, as allocation and opening do (`masking.pool_rules`)."""

import pytest

from masking.dashboard import figures
from tests.factories import PoolFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_small_pool_number(settings):
    settings.MASKING_NUMBER_CAPACITY = 50
    small = PoolFactory(name="Small", number_capacity=2)
    number = VirtualNumberFactory(number="+6531500401", pool=small)
    open_session(virtual_number=number, a="+6598761201", b="+6598761202")
    open_session(virtual_number=number, a="+6598761203", b="+6598761204")
    return number


def test_the_dashboard_shows_a_number_full_at_its_pools_capacity(full_small_pool_number):
    rows = {row.number: row for row in figures()["pool"]}
    assert rows["+6531500401"].use_percent == 100


def test_the_full_filter_lists_a_number_full_at_its_pools_capacity(
    full_small_pool_number, admin_client
):
    page = admin_client.get("/admin/masking/virtualnumber/", {"use": "full"})
    assert [n.number for n in page.context["cl"].result_list] == ["+6531500401"]
