"""The DS HTTP client against a stub GraphQL server on 127.0.0.1 (never the internet)."""

import base64
import copy
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from calls.ds import PAGE_SIZE, DsAnswerError, fetch_demarche
from calls.ds_mappings import CLACT_2024_GRAND_EST as CLACT_2024_MAPPING
from calls.models import Dossier, DossierDocument
from calls.tasks import sync_open_campaigns
from tests.calls.factories import CampaignFactory, paris

SAMPLE = Path(__file__).parent / "data" / "ds_clact_dossiers_sample.json"
TOKEN = "jeton-de-test"


def _files(value):
    """Yield every DS ``File`` object inside ``value``."""
    if isinstance(value, dict):
        if value.get("__typename") == "File":
            yield value
        for item in value.values():
            yield from _files(item)
    elif isinstance(value, list):
        for item in value:
            yield from _files(item)


class StubDs:
    """Serve the sample's dossiers two per page, and one deleted dossier."""

    def __init__(self, errors=None):
        self.requests: list[dict] = []
        self.downloads: list[str] = []
        self.errors = errors
        self.signature = 0
        self.corrupt = False
        demarche = json.loads(SAMPLE.read_text(encoding="utf-8"))["data"]["demarche"]
        self.nodes = demarche["dossiers"]["nodes"]
        self.head = {k: v for k, v in demarche.items() if k != "dossiers"}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stub.downloads.append(self.path)
                content = stub.content(self.path.split("?")[0].rsplit("/", 1)[-1])
                if stub.corrupt:
                    content += b"% altered in transit\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"auth": self.headers["Authorization"], **body})
                answer = json.dumps(stub.answer(body["query"], body["variables"])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.url = f"{self.base}/api/v2/graphql"

    @staticmethod
    def content(filename: str) -> bytes:
        return b"%PDF-1.4\n% " + filename.encode() + b"\n%%EOF\n"

    def signed(self, nodes):
        """Return ``nodes`` whose file links point here, signed anew on every answer."""
        self.signature += 1
        nodes = copy.deepcopy(nodes)
        for file in _files(nodes):
            file["url"] = f"{self.base}/files/{file['filename']}?signature={self.signature}"
            digest = hashlib.md5(self.content(file["filename"]), usedforsecurity=False).digest()
            file["checksum"] = base64.b64encode(digest).decode()
        return nodes

    def answer(self, query, variables):
        if self.errors:
            return {"errors": self.errors, "data": None}
        if "deletedDossiers" in query:
            page = {
                "pageInfo": {"hasNextPage": False, "endCursor": None},
                "nodes": [{"id": "x", "number": 999, "state": "en_construction", "reason": "r"}],
            }
            return {"data": {"demarche": {"number": 91234, "deletedDossiers": page}}}
        first = variables["after"] is None
        page = {
            "pageInfo": {"hasNextPage": first, "endCursor": "page-2" if first else None},
            "nodes": self.signed(self.nodes[:2] if first else self.nodes[2:]),
        }
        return {"data": {"demarche": {**self.head, "dossiers": page}}}

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_reads_every_page_with_the_token_and_pages_of_100():
    with StubDs() as stub:
        answer = fetch_demarche(
            number=91234, token=TOKEN, endpoint=stub.url, updated_since=paris(2024, 5, 1, 0, 0)
        )
    demarche = answer["data"]["demarche"]
    assert [n["number"] for n in demarche["dossiers"]["nodes"]] == [n["number"] for n in stub.nodes]
    assert demarche["deletedDossiers"]["nodes"][0]["number"] == 999
    assert {r["auth"] for r in stub.requests} == {f"Bearer {TOKEN}"}
    assert [r["variables"]["after"] for r in stub.requests] == [None, "page-2", None]
    assert all(r["variables"]["first"] == PAGE_SIZE == 100 for r in stub.requests)
    assert stub.requests[0]["variables"]["updatedSince"] == "2024-05-01T00:00:00+02:00"
    assert stub.requests[2]["variables"]["deletedSince"] == "2024-05-01T00:00:00+02:00"


def test_a_graphql_error_is_raised_with_its_message():
    stub = StubDs(errors=[{"message": "Token expired"}])
    with stub, pytest.raises(DsAnswerError, match="Token expired"):
        fetch_demarche(number=91234, token=TOKEN, endpoint=stub.url)


@pytest.mark.django_db
def test_the_command_syncs_from_the_api_then_asks_only_for_what_changed(settings, monkeypatch):
    campaign = CampaignFactory(
        opened=True, ds_demarche_number=91234, ds_champ_mapping=CLACT_2024_MAPPING
    )
    monkeypatch.setenv("DS_API_TOKEN", TOKEN)
    with StubDs() as stub:
        settings.DS_API_URL = stub.url
        call_command("sync_ds", "--campaign", str(campaign.pk), "--wet-run", stdout=StringIO())
        assert campaign.dossiers.count() == 4
        call_command("sync_ds", "--campaign", str(campaign.pk), "--wet-run", stdout=StringIO())
    assert stub.requests[0]["variables"]["updatedSince"] is None
    assert stub.requests[3]["variables"]["updatedSince"] == "2024-10-09T08:21:17+00:00"
    assert Dossier.objects.count() == 4
    # Every piece was fetched once, at the first sync; new signed links are not new files.
    assert len(stub.downloads) == DossierDocument.objects.count() > 0
    assert AuditEvent.objects.filter(object_type="calls.Dossier").count() == 4
    duerp = DossierDocument.objects.get(filename="DUERP_CH_Breval_2024.pdf")
    with duerp.file.open("rb") as stored:
        assert stored.read() == StubDs.content("DUERP_CH_Breval_2024.pdf")


@pytest.mark.django_db
def test_a_piece_that_does_not_match_its_checksum_writes_nothing(settings, monkeypatch):
    campaign = CampaignFactory(
        opened=True, ds_demarche_number=91234, ds_champ_mapping=CLACT_2024_MAPPING
    )
    monkeypatch.setenv("DS_API_TOKEN", TOKEN)
    with StubDs() as stub:
        stub.corrupt = True
        settings.DS_API_URL = stub.url
        with pytest.raises(CommandError, match="rien n'est écrit"):
            call_command("sync_ds", "--campaign", str(campaign.pk), "--wet-run", stdout=StringIO())
    assert Dossier.objects.count() == 0


@pytest.mark.django_db
class TestSyncOpenCampaigns:
    """``calls.tasks.sync_open_campaigns``: what the scheduler runs, one task per campaign,
    through the real client."""

    @pytest.fixture
    def bound(self):
        return CampaignFactory(
            opened=True, ds_demarche_number=91234, ds_champ_mapping=CLACT_2024_MAPPING
        )

    @pytest.fixture
    def run(self, settings, monkeypatch, django_capture_on_commit_callbacks):
        """Queue the sync of every campaign with ``token`` and run the tasks it queued."""

        def run(stub, token=TOKEN):
            settings.DS_API_URL = stub.url
            if token:
                monkeypatch.setenv("DS_API_TOKEN", token)
            else:
                monkeypatch.delenv("DS_API_TOKEN", raising=False)
            with django_capture_on_commit_callbacks(execute=True):
                queued = sync_open_campaigns()
            return queued

        return run

    def _syncs(self):
        return list(
            DBTaskResult.objects.filter(task_path="calls.tasks.sync_campaign").order_by(
                "enqueued_at"
            )
        )

    def test_syncs_each_open_campaign_bound_to_a_demarche_then_only_what_changed(self, bound, run):
        draft = CampaignFactory(ds_demarche_number=91235, ds_champ_mapping=CLACT_2024_MAPPING)
        with StubDs() as stub:
            first = run(stub)
            second = run(stub)
        assert first == second == {"queued": 1, "skipped": {}}
        first_sync, second_sync = self._syncs()
        assert first_sync.args_kwargs["args"] == [bound.pk]
        assert first_sync.return_value == {"read": 4, "created": 4, "updated": 0, "deleted": 0}
        assert bound.dossiers.count() == 4 and not draft.dossiers.exists()
        assert second_sync.return_value["created"] == second_sync.return_value["updated"] == 0
        assert {r["variables"]["demarcheNumber"] for r in stub.requests} == {91234}
        assert stub.requests[3]["variables"]["updatedSince"] == "2024-10-09T08:21:17+00:00"
        # The pieces were downloaded at once, during the first sync.
        assert len(stub.downloads) == DossierDocument.objects.count() > 0

    def test_reads_the_token_from_the_environment(self, bound, run):
        with StubDs() as stub:
            run(stub)
        assert {r["auth"] for r in stub.requests} == {f"Bearer {TOKEN}"}
        assert bound.dossiers.count() == 4

    def test_without_a_token_queues_nothing_with_a_logged_reason(self, bound, run, caplog):
        with StubDs() as stub:
            queued = run(stub, token="")
        assert stub.requests == []
        assert queued == {"queued": 0, "reason": "DS_API_TOKEN absent"}
        assert "DS_API_TOKEN absent" in caplog.text
        assert not Dossier.objects.exists() and not self._syncs()

    def test_a_campaign_without_demarche_or_mapping_is_skipped_and_the_others_synced(
        self, bound, run, caplog
    ):
        unbound = CampaignFactory(opened=True, year=2025)
        unmapped = CampaignFactory(opened=True, year=2026, ds_demarche_number=91236)
        with StubDs() as stub:
            queued = run(stub)
        assert queued["queued"] == 1
        assert "aucune démarche" in queued["skipped"][str(unbound.pk)]
        assert "correspondance" in queued["skipped"][str(unmapped.pk)]
        assert bound.dossiers.count() == 4
        assert f"campagne {unbound.pk}" in caplog.text and caplog.text.count("ignorée") == 2

    def test_a_ds_error_writes_nothing_for_that_campaign_and_is_logged(self, bound, run, caplog):
        with StubDs(errors=[{"message": "Token expired"}]) as stub:
            run(stub)
        (sync,) = self._syncs()
        assert sync.status == TaskResultStatus.FAILED
        assert "Token expired" in caplog.text
        assert not Dossier.objects.exists()
