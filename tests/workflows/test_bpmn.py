"""The committed BPMN exports match the flows and parse in a third-party BPMN tool."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from SpiffWorkflow.bpmn.parser import BpmnParser

from workflows.bpmn import bpmn_filename, node_id
from workflows.flows import ALL_FLOWS as FLOWS

COMMITTED = Path(settings.BASE_DIR) / "docs" / "bpmn"
FLOW_IDS = [flow_class.__name__ for flow_class in FLOWS]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bpmn")
    call_command("export_bpmn", output=directory, stdout=StringIO())
    return directory


@pytest.mark.parametrize("flow_class", FLOWS, ids=FLOW_IDS)
class TestTheBpmnExport:
    def test_is_committed_as_generated(self, flow_class, exported):
        name = bpmn_filename(flow_class)
        assert (COMMITTED / name).read_text(encoding="utf-8") == (exported / name).read_text(
            encoding="utf-8"
        ), f"docs/bpmn/{name} is out of date: run manage.py export_bpmn"

    def test_parses_with_every_node_of_the_flow(self, flow_class, exported):
        parser = BpmnParser()
        parser.add_bpmn_file(str(exported / bpmn_filename(flow_class)))
        [process_id] = parser.get_process_ids()
        spec = parser.get_spec(process_id)
        nodes = {node_id(node) for node in flow_class.instance.nodes()}
        assert nodes <= set(spec.task_specs)
        assert spec.description == str(flow_class.process_title)
        assert "Base of" not in spec.description

    def test_names_the_nodes_in_french(self, flow_class, exported):
        text = (exported / bpmn_filename(flow_class)).read_text(encoding="utf-8")
        for node in flow_class.instance.nodes():
            if node.task_title:
                title = str(node.task_title).replace("'", "&apos;")
                assert f'name="{title}"' in text or f'name="{node.task_title}"' in text


@pytest.mark.django_db
def test_the_flow_chart_captions_its_branches_in_french(client):
    """Viewflow captions a gateway's branches "yes"/"no"; the chart an ARS manager opens
    says « oui » / « non »."""
    from django.urls import reverse

    from tests.workflows.scenarios import user
    from tests.workflows.world import build_world
    from workflows.flows import ContractApprovalFlow

    build_world()
    client.force_login(user("manager"))
    label = ContractApprovalFlow.instance.flow_label
    response = client.get(reverse(f"workflow:flows:{label}:chart"))
    assert response.status_code == 200
    svg = response.content.decode()
    assert ">oui</text>" in svg and ">non</text>" in svg
    assert ">yes</text>" not in svg and ">no</text>" not in svg
