"""Issue 31: prompts per pool in the admin. Staff of a pool write their pool's prompts only; the
deployment's (every pool's fallback) are for staff who see every pool. The missing-prompts table
says, per pool, what its callers hear where a prompt is missing."""

import pytest
from django.contrib.auth.models import User

from masking.models import Prompt
from tests.factories import PoolFactory, PromptFactory

pytestmark = pytest.mark.django_db
ADD, LIST = "/admin/masking/prompt/add/", "/admin/masking/prompt/"


def form(pool, **overrides):
    return {
        "pool": pool.pk if pool else "",
        "purpose": "connecting",
        "language": "en",
        "voice_profile": "generic-en-female",
        "text": "Please hold.",
        "repetition": 1,
        **overrides,
    }


@pytest.fixture
def pools(settings):
    settings.MASKING_DEFAULT_LANGUAGE = "en"
    return PoolFactory(name="Malaysia"), PoolFactory(name="Indonesia")


@pytest.fixture
def malaysia_staff(client, pools):
    staff = User.objects.create_superuser("malaysia-lead", password="pw")
    pools[0].users.add(staff)
    client.force_login(staff)
    return client


@pytest.mark.parametrize("whose", ["deployment", "Indonesia"])
def test_a_pools_staff_cannot_write_the_deployments_or_another_pools_prompt(
    malaysia_staff, pools, whose
):
    pool = None if whose == "deployment" else pools[1]
    response = malaysia_staff.post(ADD, form(pool))
    assert response.status_code == 200
    assert "pool" in response.context["adminform"].form.errors
    assert not Prompt.objects.exists()


def test_a_pools_staff_write_their_pools_prompt_and_see_only_theirs(malaysia_staff, pools):
    malaysia, indonesia = pools
    deployment = PromptFactory(purpose="no_session", text="Deployment's.")
    theirs = PromptFactory(purpose="no_session", text="Indonesia's.", pool=indonesia)
    assert malaysia_staff.post(ADD, form(malaysia)).status_code == 302
    mine = Prompt.objects.get(pool=malaysia)
    listed = malaysia_staff.get(LIST)
    assert list(listed.context["cl"].queryset) == [mine]
    for other in (deployment, theirs):
        assert malaysia_staff.get(f"{LIST}{other.pk}/change/").status_code == 302
        changed = malaysia_staff.post(f"{LIST}{other.pk}/change/", form(malaysia, text="Mine!"))
        assert changed.status_code == 302
        other.refresh_from_db()
        assert other.pool_id != malaysia.pk and other.text.endswith("'s.")


def test_staff_given_no_pool_write_the_deployments_prompts(admin_client, pools):
    assert admin_client.post(ADD, form(None)).status_code == 302
    assert admin_client.post(ADD, form(pools[0])).status_code == 302
    assert set(Prompt.objects.values_list("pool__name", flat=True)) == {None, "Malaysia"}
    assert admin_client.get(LIST).context["cl"].result_count == 2


def missing(rows) -> dict:
    return {row["code"]: {m["purpose"]: m["instead"] for m in row["missing"]} for row in rows}


def test_the_missing_prompts_table_says_what_each_pools_callers_hear(admin_client, pools):
    malaysia, indonesia = pools
    malaysia.default_language = "fr"
    malaysia.save()
    PromptFactory(purpose="connecting", text="Hold on.")
    PromptFactory(purpose="no_session", text="No booking.")
    french = {"language": "fr", "voice_profile": "generic-fr-female"}
    PromptFactory(purpose="connecting", text="Patientez.", pool=malaysia, **french)
    page = admin_client.get(LIST)
    tables = {
        entry["pool"].name: missing(entry["rows"])
        for entry in page.context["pools_missing_prompts"]
    }
    # Indonesia has nothing of its own: its callers hear what the deployment's table says.
    assert set(tables) == {"Malaysia"}
    deployment = missing(page.context["missing_prompts"])
    assert set(deployment) == {"en"} and "connecting" not in deployment["en"]
    malaysia_table = tables["Malaysia"]
    assert set(malaysia_table) == {"en", "fr"}
    assert "connecting" not in malaysia_table["fr"] and "connecting" not in malaysia_table["en"]
    assert malaysia_table["fr"]["no session"] == "the deployment's English prompt"
    assert malaysia_table["fr"]["apology"].startswith("nothing")
    assert "Missing prompts in pool Malaysia" in page.content.decode()


def test_a_pools_staff_see_their_pools_table_only(malaysia_staff, pools):
    PromptFactory(purpose="connecting", text="Hold on.")
    page = malaysia_staff.get(LIST)
    assert page.context["missing_prompts"] == []
    (entry,) = page.context["pools_missing_prompts"]
    assert entry["pool"].name == "Malaysia"
    assert "connecting" not in missing(entry["rows"])["en"]  # the deployment's is heard
