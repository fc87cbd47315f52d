from django.conf import settings
from django.db import migrations


def one_pool_for_the_deployment(apps, schema_editor):
    """An existing deployment becomes one pool, named after its sub-account, holding every number.
    Its rules are left empty: they follow the environment's settings, as the deployment did."""
    pool_model = apps.get_model("masking", "Pool")
    number_model = apps.get_model("masking", "VirtualNumber")
    subaccount = settings.EIGHTX8_SUBACCOUNT_ID
    pool, _created = pool_model.objects.get_or_create(
        is_deployment_pool=True,
        defaults={"name": subaccount or "default", "subaccount_id": subaccount},
    )
    number_model.objects.filter(pool__isnull=True).update(pool=pool)


def no_pools(apps, schema_editor):
    apps.get_model("masking", "VirtualNumber").objects.update(pool=None)


class Migration(migrations.Migration):
    dependencies = [("masking", "0020_pools")]

    operations = [migrations.RunPython(one_pool_for_the_deployment, no_pools, elidable=False)]
