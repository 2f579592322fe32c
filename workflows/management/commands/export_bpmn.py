"""Write the BPMN 2.0 export of every flow (default: docs/bpmn/, one file per flow)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from workflows.bpmn import bpmn_filename, flow_to_bpmn
from workflows.flows import ALL_FLOWS

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "docs" / "bpmn"


class Command(BaseCommand):
    help = "Exporte chaque processus en BPMN 2.0 (un fichier .bpmn par processus)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=DEFAULT_DIRECTORY, help="dossier")

    def handle(self, *args, **options):
        directory = options["output"]
        directory.mkdir(parents=True, exist_ok=True)
        for flow_class in ALL_FLOWS:
            path = directory / bpmn_filename(flow_class)
            path.write_text(flow_to_bpmn(flow_class), encoding="utf-8")
            self.stdout.write(str(path))
