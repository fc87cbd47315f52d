import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("masking", "0021_pools_hold_every_number")]

    operations = [
        migrations.AlterField(
            model_name="virtualnumber",
            name="pool",
            field=models.ForeignKey(
                blank=True,
                help_text="The 8x8 sub-account the number belongs to; its rules apply to calls on it. Empty: the deployment's pool.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="numbers",
                to="masking.pool",
                verbose_name="pool",
            ),
        ),
    ]
