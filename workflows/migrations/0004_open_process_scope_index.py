from django.db import migrations, models

# Viewflow's task table has no index for "the open tasks of these processes": the
# queue and the four-eyes exclusion read the open tasks of the user's open processes,
# which without it is a scan of every task of the country. Partial: only open tasks.
OPEN_TASK_INDEX = (
    "CREATE INDEX viewflow_task_open_process_idx ON viewflow_task (process_id) "
    "WHERE finished IS NULL"
)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0009_recovery_mode_labels_in_ars_words"),
        ("territories", "0002_load_reference_territory"),
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0003_validation_and_follow_up_wording"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contractprocess",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["hospital_group"],
                name="process_open_scope_ght_idx",
            ),
        ),
        migrations.RunSQL(
            OPEN_TASK_INDEX, reverse_sql="DROP INDEX viewflow_task_open_process_idx"
        ),
    ]
