from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0001_contracts_money_and_journal'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('CREATE', 'Création'), ('CHANGE', 'Modification'), ('DELETE', 'Suppression'), ('IMPORT', 'Import'), ('EXPORT', 'Export'), ('TRANSITION', 'Étape de workflow'), ('ASSIGN', "Prise en charge d'une tâche"), ('UNASSIGN', "Abandon d'une tâche"), ('CANCEL', 'Annulation'), ('UNDO', 'Retour arrière'), ('REVIVE', "Reprise d'une tâche annulée"), ('VIEW', 'Consultation auditeur')], max_length=12, verbose_name='action'),
        ),
    ]
