"""Drive flows through HTTP as their users would: take a task, fill its form."""

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

import config.urls  # noqa: F401  (builds the flow URLs, so nodes can reverse)
from workflows.models import ContractProcess


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def open_task(process: ContractProcess, node) -> Task:
    return Task.objects.get(
        process=process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    )


def start(client: Client, start_node, data: dict, query: str = ""):
    """Post a start form; return the response and the process it created (or None)."""
    before = set(ContractProcess.objects.values_list("pk", flat=True))
    response = client.post(start_node.reverse("execute") + query, data)
    created = ContractProcess.objects.exclude(pk__in=before).first()
    return response, created


def complete(client: Client, process: ContractProcess, node, data: dict):
    """Assign the process's open task of ``node`` to the client's user, then execute it."""
    task = open_task(process, node)
    if task.owner_id is None:
        response = client.post(node.reverse("assign", args=[process.pk, task.pk]))
        if response.status_code != 302:
            return response
    return client.post(node.reverse("execute", args=[process.pk, task.pk]), data)


MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def signed_pdf(name: str = "contrat-signe.pdf") -> SimpleUploadedFile:
    """Return a small PDF upload, as the scanned signed contract."""
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")
