"""One hash chain per stream instead of one for the whole journal, and the checkpoints.

The events already written are put in their streams (their contract's, their call's, the
territory registry's, rights', else the general stream) and chained again there, in id
order, with the hashing of this migration (frozen here: migrations never import app
code). Nothing was deployed with the single chain, so no outside copy of its head exists
to compare against.
"""

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


GENESIS_HASH = "0" * 64
CONTENT_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "contract_id",
    "object_type",
    "object_id",
    "object_label",
    "summary",
    "reason",
    "changes",
)


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _digest(values) -> str:
    values = list(values)
    values[1] = values[1].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = json.dumps(
        values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _link(prev_hash: str, sequence: int, digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{sequence}:{digest}".encode("ascii")).hexdigest()


def _campaign_of_dossier(connection):
    if "calls_dossier" not in connection.introspection.table_names():
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, campaign_id FROM calls_dossier")
        return {str(pk): campaign_id for pk, campaign_id in cursor.fetchall()}


def _key(event, dossiers) -> str:
    if event.contract_id is not None:
        return f"contract:{event.contract_id}"
    if event.object_type == "calls.Campaign" and event.object_id:
        return f"campaign:{event.object_id}"
    if event.object_type == "calls.Dossier" and event.object_id in dossiers:
        return f"campaign:{dossiers[event.object_id]}"
    if event.action in ("VIEW", "EXPORT") and event.actor_id is not None:
        return f"reader:{event.actor_id}"
    if event.object_type.startswith("territories."):
        return "territories"
    if event.object_type.startswith(("auth.", "guardian.", "api.")):
        return "rights"
    return "general"


def put_events_in_streams(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditStream = apps.get_model("audit", "AuditStream")
    connection = schema_editor.connection
    if not AuditEvent.objects.exists():
        return
    if connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    dossiers = _campaign_of_dossier(connection)
    heads: dict[str, tuple[int, str, str]] = {}
    streams: dict[str, object] = {}
    batch = []
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=5000):
        key = _key(event, dossiers)
        if key not in streams:
            streams[key] = AuditStream.objects.create(key=key)
        sequence, _prev, prev_hash = heads.get(key, (0, GENESIS_HASH, GENESIS_HASH))
        sequence += 1
        digest = _digest([key, *(getattr(event, name) for name in CONTENT_FIELDS)])
        event.stream_id = streams[key].pk
        event.sequence = sequence
        event.prev_hash = prev_hash
        event.hash = _link(prev_hash, sequence, digest)
        heads[key] = (sequence, prev_hash, event.hash)
        batch.append(event)
        if len(batch) == 1000:
            AuditEvent.objects.bulk_update(batch, ["stream", "sequence", "prev_hash", "hash"])
            batch = []
    AuditEvent.objects.bulk_update(batch, ["stream", "sequence", "prev_hash", "hash"])
    for key, (sequence, prev_hash, last_hash) in heads.items():
        AuditStream.objects.filter(pk=streams[key].pk).update(
            last_sequence=sequence, prev_hash=prev_hash, last_hash=last_hash
        )
    if connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.BigIntegerField(unique=True, verbose_name='numéro')),
                ('taken_at', models.DateTimeField(verbose_name='date')),
                ('event_count', models.BigIntegerField(verbose_name='événements couverts')),
                ('prev_hash', models.CharField(max_length=64, verbose_name='empreinte précédente')),
                ('hash', models.CharField(max_length=64, unique=True, verbose_name='empreinte')),
            ],
            options={
                'verbose_name': 'point de contrôle du journal',
                'verbose_name_plural': 'points de contrôle du journal',
                'ordering': ['number'],
            },
        ),
        migrations.CreateModel(
            name='AuditCheckpointEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sequence', models.BigIntegerField()),
                ('hash', models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='AuditStream',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=60, unique=True, verbose_name='flux')),
                ('last_sequence', models.BigIntegerField(default=0, verbose_name='dernier numéro')),
                ('prev_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                ('last_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64, verbose_name='dernière empreinte')),
            ],
            options={
                'verbose_name': 'flux du journal',
                'verbose_name_plural': 'flux du journal',
            },
        ),
        migrations.DeleteModel(
            name='AuditChainHead',
        ),
        migrations.AlterModelOptions(
            name='auditevent',
            options={'ordering': ['id'], 'verbose_name': 'événement du journal', 'verbose_name_plural': "journal d'audit"},
        ),
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_contract_seq_idx',
        ),
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_actor_seq_idx',
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='sequence',
            field=models.BigIntegerField(verbose_name='numéro dans le flux'),
        ),
        migrations.AddField(
            model_name='auditcheckpointentry',
            name='checkpoint',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='audit.auditcheckpoint'),
        ),
        migrations.AddField(
            model_name='auditcheckpointentry',
            name='stream',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='audit.auditstream'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='stream',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='audit.auditstream', verbose_name='flux'),
        ),
        migrations.RunPython(put_events_in_streams, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='auditevent',
            name='stream',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='audit.auditstream', verbose_name='flux'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['contract_id', 'id'], name='audit_contract_id_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['actor', 'id'], name='audit_actor_id_idx'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(fields=('stream', 'sequence'), name='audit_stream_sequence'),
        ),
        migrations.AddConstraint(
            model_name='auditcheckpointentry',
            constraint=models.UniqueConstraint(fields=('stream', 'sequence'), name='audit_checkpoint_entry_stream_seq'),
        ),
    ]
