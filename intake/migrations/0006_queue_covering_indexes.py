"""Add the tip id to the two queue indexes so each covers the queue page's id query."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_conversation"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="tip", name="tip_queue_idx"),
        migrations.RemoveIndex(model_name="tip", name="tip_desk_queue_idx"),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(fields=["status", "received_at", "id"], name="tip_queue_idx"),
        ),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(
                fields=["desk", "status", "received_at", "id"], name="tip_desk_queue_idx"
            ),
        ),
    ]
