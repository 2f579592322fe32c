"""Writing decisions back to DS: the instructor's mutations against a stub DS on 127.0.0.1."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from calls.ds import DsWriteError, write_back

TOKEN = "jeton-ecriture"


class StubWrites:
    """Answer the dossier-id query, then the mutation, with what ``reply`` says."""

    def __init__(self, *, payload_errors=(), graphql_errors=()):
        self.requests = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"auth": self.headers["Authorization"], **body})
                if body["query"].startswith("query dossierId"):
                    answer = {"data": {"dossier": {"id": "RG9zc2llci0xMg=="}}}
                else:
                    name = body["query"].split("{", 2)[1].split("(")[0].strip()
                    answer = {
                        "data": {name: {"errors": [{"message": m} for m in payload_errors]}},
                        **(
                            {"errors": [{"message": m} for m in graphql_errors]}
                            if graphql_errors
                            else {}
                        ),
                    }
                content = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v2/graphql"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_refusal_is_sent_with_its_motivation_the_token_and_the_instructor():
    with StubWrites() as stub:
        write_back(
            kind="REFUSE",
            number=12,
            text="Compléments non reçus.",
            token=TOKEN,
            instructeur_id="SW5zdHJ1Y3RldXItMQ==",
            endpoint=stub.url,
        )
    lookup, mutation = stub.requests
    assert lookup["variables"] == {"number": 12}
    assert "dossierRefuser" in mutation["query"]
    assert mutation["variables"]["input"] == {
        "dossierId": "RG9zc2llci0xMg==",
        "instructeurId": "SW5zdHJ1Y3RldXItMQ==",
        "motivation": "Compléments non reçus.",
    }
    assert {r["auth"] for r in stub.requests} == {f"Bearer {TOKEN}"}


def test_a_message_carries_its_body():
    with StubWrites() as stub:
        write_back(
            kind="MESSAGE",
            number=12,
            text="Le RIB manque.",
            token=TOKEN,
            instructeur_id="I",
            endpoint=stub.url,
        )
    assert stub.requests[1]["variables"]["input"]["body"] == "Le RIB manque."


@pytest.mark.parametrize(
    "errors",
    [{"payload_errors": ["Le dossier est déjà accepté"]}, {"graphql_errors": ["Token expired"]}],
)
def test_an_error_in_the_payload_or_the_answer_is_raised(errors):
    with StubWrites(**errors) as stub, pytest.raises(DsWriteError):
        write_back(
            kind="ACCEPT",
            number=12,
            text="Retenu.",
            token=TOKEN,
            instructeur_id="I",
            endpoint=stub.url,
        )
