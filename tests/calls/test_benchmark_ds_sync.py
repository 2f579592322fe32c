"""The DS sync benchmark runs on a small generated answer and leaves nothing behind."""

from io import StringIO

import pytest
from django.core.management import call_command

from calls.models import Campaign, Dossier


@pytest.mark.django_db
def test_measures_creation_and_an_unchanged_resync_then_rolls_back():
    out = StringIO()
    call_command("benchmark_ds_sync", "--dossiers", "8", stdout=out)
    assert "création : 8 dossiers" in out.getvalue()
    assert "relecture inchangée : 8 dossiers" in out.getvalue()
    assert not Campaign.objects.exists()
    assert not Dossier.objects.exists()
