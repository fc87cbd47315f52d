from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("masking", "0029_session_open_started_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="maskingsession",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=["expires_at"],
                name="masking_session_open_expiry",
            ),
        ),
    ]
