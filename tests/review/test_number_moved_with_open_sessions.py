"""Review (issue 31): a number's pool changed in the admin while it holds open sessions. Those
conversations belong to the pool's backend (its API user opened them and reads them) and staff;
moving the number would hand them, with both people's numbers, to the other pool and leave the
first pool's backend a 404 on its own sessions. A number holding open sessions keeps its pool."""

import pytest
from django.contrib.auth.models import Permission, User

from masking.models import VirtualNumber
from masking.services.sessions import session_close
from tests.factories import PoolFactory, VirtualNumberFactory, open_session
from tests.masking.api.conftest import client_for

pytestmark = pytest.mark.django_db
NUMBER = "+6531500101"


def backend_of(pool):
    user = User.objects.create_user(f"backend-{pool.name}")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    pool.users.add(user)
    return client_for(user)


def change(admin_client, number, pool):
    inline = {f"provider_events-{k}": "0" for k in ("TOTAL_FORMS", "INITIAL_FORMS")}
    return admin_client.post(
        f"/admin/masking/virtualnumber/{number.pk}/change/",
        {"number": NUMBER, "label": "x", "status": "active", "pool": pool.pk, **inline},
    )


@pytest.mark.parametrize(("sessions_open", "moved"), [(True, False), (False, True)])
def test_a_number_holding_open_sessions_keeps_its_pool(admin_client, sessions_open, moved):
    singapore, malaysia = PoolFactory(name="Singapore"), PoolFactory(name="Malaysia")
    number = VirtualNumberFactory(number=NUMBER, pool=singapore)
    session = open_session(virtual_number=number)
    if not sessions_open:
        session_close(session=session, reason=session.CloseReason.API)
    response = change(admin_client, number, malaysia)
    assert VirtualNumber.objects.get(pk=number.pk).pool == (malaysia if moved else singapore)
    if not moved:
        assert "pool" in response.context["adminform"].form.errors
        singapores_backend = backend_of(singapore)
        assert singapores_backend.get(f"/api/sessions/{session.pk}/").status_code == 200
