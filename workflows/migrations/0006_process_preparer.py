import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_preparers(apps, schema_editor):
    """Give each existing process its preparer: the owner of its last finished task.

    That is who ``workflows.steps.complete_step`` records from now on (the owner of the
    step just completed), i.e. the preparer of the decision an open process waits for.
    One ``UPDATE`` per table, the last task read by the task table's process index.
    """
    task_model = apps.get_model("viewflow", "Task")
    last_owner = (
        task_model.objects.filter(
            process_id=OuterRef("pk"), finished__isnull=False, owner__isnull=False
        )
        .order_by("-finished", "-pk")
        .values("owner_id")[:1]
    )
    for name in ("ContractProcess", "DossierProcess"):
        model = apps.get_model("workflows", name)
        model.objects.update(preparer_id=Subquery(last_owner))


class Migration(migrations.Migration):
    dependencies = [
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0005_dossier_processes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="contractprocess",
            name="preparer",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="préparé par",
            ),
        ),
        migrations.AddField(
            model_name="dossierprocess",
            name="preparer",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="préparé par",
            ),
        ),
        migrations.RunPython(backfill_preparers, migrations.RunPython.noop, elidable=True),
    ]
