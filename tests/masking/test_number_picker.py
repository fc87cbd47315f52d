"""Number pickers offer only numbers that can take the session, with their room; filters and the
simulator search the pool instead of listing it."""

import pytest

from callflows.models import Call
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db


def autocomplete(client, term="", **extra):
    params = {
        "app_label": "masking",
        "model_name": "maskingsession",
        "field_name": "virtual_number",
        "term": term,
        **extra,
    }
    response = client.get("/admin/autocomplete/", params)
    assert response.status_code == 200
    return [r["text"] for r in response.json()["results"]]


@pytest.fixture
def pool(settings):
    settings.MASKING_NUMBER_CAPACITY = 2
    roomy = VirtualNumberFactory(number="+6531500101", label="roomy")
    full = VirtualNumberFactory(number="+6531500102", label="full")
    VirtualNumberFactory(number="+6531500103", label="sick", status="unhealthy")
    VirtualNumberFactory(number="+6531500104", label="gone", status="retired")
    open_session(virtual_number=roomy)
    open_session(virtual_number=full)
    open_session(virtual_number=full)
    return roomy, full


def test_the_session_forms_picker_offers_only_numbers_that_can_take_it_with_their_room(
    admin_client, pool
):
    add = admin_client.get("/admin/masking/maskingsession/add/").content.decode()
    assert "/admin/autocomplete/?scope=new-session" in add
    assert autocomplete(admin_client, scope="new-session") == ["+6531500101 (roomy) · 1 of 2 free"]


def test_other_pickers_offer_every_number_with_its_state(admin_client, pool):
    assert autocomplete(admin_client) == [
        "+6531500101 (roomy) · 1 of 2 free",
        "+6531500102 (full) · full",
        "+6531500103 (sick) · unhealthy",
        "+6531500104 (gone) · retired",
    ]
    assert autocomplete(admin_client, term="sick") == ["+6531500103 (sick) · unhealthy"]


def test_the_by_number_filter_searches_instead_of_listing_a_thousand_numbers(admin_client):
    numbers = [VirtualNumberFactory(number=f"+65316{i:05d}") for i in range(40)]
    wanted = open_session(virtual_number=numbers[7])
    open_session(virtual_number=numbers[8])
    page = admin_client.get("/admin/masking/maskingsession/")
    html = page.content.decode()
    assert sum(str(n.number) in html for n in numbers) == 2  # the two sessions' rows only
    assert 'class="admin-autocomplete' in html
    filtered = admin_client.get("/admin/masking/maskingsession/", {"number": numbers[7].pk})
    assert [s.pk for s in filtered.context["cl"].result_list] == [wanted.pk]


def test_the_call_logs_number_filter(admin_client):
    one, two = VirtualNumberFactory(), VirtualNumberFactory()
    Call.objects.create(provider_session_id="c1", virtual_number=str(one.number))
    Call.objects.create(provider_session_id="c2", virtual_number=str(two.number))
    page = admin_client.get("/admin/callflows/call/", {"number": two.pk})
    assert [c.provider_session_id for c in page.context["cl"].result_list] == ["c2"]


def test_the_simulators_number_field_is_an_autocomplete(admin_client):
    VirtualNumberFactory()
    html = admin_client.get("/admin/simulator/").content.decode()
    assert 'class="admin-autocomplete' in html and "select2" in html
