"""Pools: each rule a pool leaves empty follows the deployment's setting, through one resolver;
its secrets are kept so that the database alone gives neither away."""

import pytest
from django.core.exceptions import ValidationError

from masking.models import Pool
from masking.pool_rules import RULE_NAMES, deployment_rules, setting_for
from tests.factories import PoolFactory, VirtualNumberFactory

pytestmark = pytest.mark.django_db


def test_a_pool_with_no_rules_follows_every_setting_even_when_a_setting_changes(settings):
    pool = PoolFactory()
    assert pool.rules == deployment_rules()
    settings.MASKING_PIN_LENGTH = 8
    settings.MASKING_RECORDING_CONSENT = "caller_only"
    assert pool.rules.pin_length == 8
    assert pool.rules.recording_consent == "caller_only"


def test_each_rule_set_on_a_pool_wins_over_its_setting():
    pool = PoolFactory(
        number_capacity=50,
        recording_consent="caller_only",
        default_language="fr",
        callflow_dialect="current",
        pin_length=8,
        operations_time_zone="Asia/Kuala_Lumpur",
    )
    rules = pool.rules
    assert (rules.number_capacity, rules.recording_consent, rules.default_language) == (
        50,
        "caller_only",
        "fr",
    )
    assert (rules.callflow_dialect, rules.pin_length) == ("current", 8)
    assert rules.operations_time_zone == "Asia/Kuala_Lumpur"


def test_every_rule_is_a_pool_column_and_names_a_setting(settings):
    columns = {f.name for f in Pool._meta.get_fields()}
    for rule in RULE_NAMES:
        assert rule in columns
        assert hasattr(settings, setting_for(rule))


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"pin_length": 2}, "pin_length"),  # no room within 1 in 10,000: masking.E005's rule
        ({"pin_length": 13}, "pin_length"),  # masking.E006's
        ({"default_language": "ko"}, "default_language"),  # masking.E004's
        ({"operations_time_zone": "Mars/Olympus"}, "operations_time_zone"),
        ({"pin_guess_one_in": 1_000_000, "pin_length": 6}, "pin_length"),
        ({"fallback_line": "12345"}, "fallback_line"),  # masking.E041's
        ({"fallback_line": "+99912345678"}, "fallback_line"),  # no such country
        ({"out_of_session_url": "http://backend.example/decide"}, "out_of_session_url"),  # E042
        ({"out_of_session_url": "https://10.0.0.7/decide"}, "out_of_session_url"),
        ({"out_of_session_url": "https://user:pw@backend.example/"}, "out_of_session_url"),
    ],
)
def test_a_pool_refuses_a_rule_manage_py_check_would_refuse(rules, field, settings):
    settings.MASKING_OUTBOUND_ALLOW_PRIVATE = False  # as in production
    pool = Pool(name="Malaysia", subaccount_id="acme-my", **rules)
    with pytest.raises(ValidationError) as refused:
        pool.full_clean()
    assert field in refused.value.message_dict


def test_a_second_pool_must_name_its_subaccount_and_no_two_pools_share_one():
    PoolFactory(subaccount_id="acme-my")
    with pytest.raises(ValidationError) as refused:
        Pool(name="Copy", subaccount_id="acme-my").full_clean()
    assert "Another pool is this 8x8 sub-account." in str(refused.value)
    with pytest.raises(ValidationError):
        Pool(name="Nameless", subaccount_id="").full_clean()


def test_the_api_key_is_stored_encrypted_and_read_back(settings):
    pool = PoolFactory()
    pool.set_api_key("8x8-key-of-malaysia")
    pool.save()
    stored = Pool.objects.values_list("api_key_encrypted", flat=True).get(pk=pool.pk)
    assert "8x8-key-of-malaysia" not in stored
    assert Pool.objects.get(pk=pool.pk).api_key() == "8x8-key-of-malaysia"
    settings.MASKING_POOL_SECRETS_KEY = "another key entirely"
    assert Pool.objects.get(pk=pool.pk).api_key() == ""  # unreadable: entered again


def test_the_api_key_may_come_from_an_environment_variable(monkeypatch):
    monkeypatch.setenv("EIGHTX8_API_KEY_MY", "from-the-environment")
    assert PoolFactory(api_key_variable="EIGHTX8_API_KEY_MY").api_key() == "from-the-environment"


def test_the_webhook_credential_is_stored_hashed_and_opens_only_its_pool():
    malaysia, indonesia = PoolFactory(), PoolFactory()
    malaysia.set_webhook_credential("Bearer malaysia-secret-0001")
    malaysia.save()
    indonesia.set_webhook_credential("Bearer indonesia-secret-01")
    indonesia.save()
    assert "malaysia-secret" not in Pool.objects.get(pk=malaysia.pk).webhook_credential_hash
    assert malaysia.accepts_webhook("Bearer malaysia-secret-0001")
    assert not malaysia.accepts_webhook("Bearer indonesia-secret-01")
    assert not malaysia.accepts_webhook("")


def test_the_deployment_pool_keeps_the_environment_credentials(settings):
    settings.WEBHOOK_AUTH_HEADER = "Bearer deployment-secret-01"
    settings.EIGHTX8_API_KEY = "deployment-key"
    pool = Pool.objects.deployment()
    assert pool.accepts_webhook("Bearer deployment-secret-01")
    assert pool.api_key() == "deployment-key"
    assert not PoolFactory().accepts_webhook("Bearer deployment-secret-01")


def test_a_number_added_without_a_pool_joins_the_deployment_pool(settings):
    settings.EIGHTX8_SUBACCOUNT_ID = "acme-sg"
    number = VirtualNumberFactory()
    assert number.pool.is_deployment_pool
    assert Pool.objects.for_subaccount("acme-sg").get() == number.pool


def test_the_pool_admin_form_names_a_bad_out_of_session_value_and_saves_good_ones(settings):
    from masking.admin.pools import PoolForm

    settings.MASKING_OUTBOUND_ALLOW_PRIVATE = False
    pool = PoolFactory(name="Malaysia", subaccount_id="acme-my")
    data = {"name": "Malaysia", "subaccount_id": "acme-my", "out_of_session_ask": "unknown"}
    refused = PoolForm(
        data={**data, "fallback_line": "12", "out_of_session_url": "http://127.0.0.1/"},
        instance=pool,
    )
    assert not refused.is_valid()
    assert set(refused.errors) == {"fallback_line", "out_of_session_url"}
    pool.refresh_from_db()
    assert (pool.fallback_line, pool.out_of_session_url) == ("", "")
    saved = PoolForm(
        data={
            **data,
            "out_of_session_ask": "false",
            "fallback_line": "+60322220000",
            "out_of_session_url": "https://backend.example/decide",
        },
        instance=pool,
    )
    assert saved.is_valid(), saved.errors
    saved.save()
    rules = Pool.objects.get(pk=pool.pk).rules
    assert (rules.out_of_session_ask, rules.asks_business) == (False, False)
    assert (rules.fallback_line, rules.out_of_session_url) == (
        "+60322220000",
        "https://backend.example/decide",
    )
