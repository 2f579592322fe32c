from django.db import migrations

# The archive lists the tasks a user finished, newest first: with viewflow's indexes (owner,
# created: one column each) PostgreSQL walks the date index of every task of the country
# until it has found a page of the user's (5.9 ms for a validator at national scale), and
# reads them all again to count them (4.6 ms). Partial: finished tasks only.
ARCHIVE_INDEX = (
    "CREATE INDEX viewflow_task_archive_idx ON viewflow_task (owner_id, created) "
    "WHERE finished IS NOT NULL"
)


class Migration(migrations.Migration):
    dependencies = [
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0006_process_preparer"),
    ]

    operations = [
        migrations.RunSQL(ARCHIVE_INDEX, reverse_sql="DROP INDEX viewflow_task_archive_idx"),
    ]
