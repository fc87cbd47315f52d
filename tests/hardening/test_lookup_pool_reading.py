"""masking.services.lookups: a typed term is read as several numbers (with
"+", and as a national number of each pool country). When any one reading is a pool number, the
whole lookup is neither counted nor audited, yet the search still matches people on every other
reading. With a US pool number +1 659 654 1234, typing "6596541234" finds the Singapore person
+65 9654 1234 for free."""

import pytest
from django.contrib.auth.models import Permission, User

from masking.models import AuditEntry
from masking.services.sessions import session_create
from tests.factories import VirtualNumberFactory


@pytest.mark.django_db
def test_a_reading_that_is_a_pool_number_does_not_make_the_lookup_free(client, settings):
    settings.MASKING_NUMBER_LOOKUPS_PER_HOUR = 1
    sg = VirtualNumberFactory(number="+6531500101")
    VirtualNumberFactory(number="+16596541234")
    session_create(virtual_number=sg, participant_a="+6596541234", participant_b="+6591230002")
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename="view_maskingsession"))
    client.force_login(clerk)
    page = client.get("/admin/masking/maskingsession/", {"q": "6596541234"})
    assert page.status_code == 200
    found = page.context["cl"].result_count
    lookups = AuditEntry.objects.filter(actor=clerk, action="looked up").count()
    assert found == 0 or lookups == 1, f"found {found} session(s), {lookups} lookups counted"
