"""BPMN 2.0 export of the flows, readable by third-party BPMN tools.

Viewflow's own export is a diagram: its gateways' branches carry no condition and its
timers no time, which BPMN parsers refuse. This one writes, from the flow's nodes: every
node with its French title and description, a condition on the "yes" branch of each
gateway (the "no" branch is the gateway's default), the moment function of each timer,
and the diagram layout viewflow computes for its charts.
"""

from datetime import timedelta
from xml.etree import ElementTree as ET

from django.utils.encoding import force_str
from django.utils.translation import override
from viewflow.workflow import chart

from .nodes import BRANCH_CAPTIONS

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NAMESPACES = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI}
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)


def _tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def node_id(node) -> str:
    return f"node_{node.name}"


def edge_id(edge) -> str:
    return f"flow_{edge.src.name}__{edge.dst.name}"


def process_id(flow_class) -> str:
    return f"process_{flow_class.instance.flow_label}"


def _sequence_edges(flow_class):
    """Return the flow's sequence flows, in the order of its nodes (boundary links aside)."""
    return [
        edge
        for node in flow_class.instance.nodes()
        for edge in node._outgoing()
        if edge.edge_class != "boundary"
    ]


def _timer_definition(parent, node) -> None:
    definition = ET.SubElement(parent, _tag(BPMN, "timerEventDefinition"))
    delay = node._delay
    if isinstance(delay, timedelta):
        element = ET.SubElement(definition, _tag(BPMN, "timeDuration"))
        element.text = f"PT{int(delay.total_seconds())}S"
    else:
        # The moment is computed by a function of the process (e.g. the milestone's due date).
        element = ET.SubElement(definition, _tag(BPMN, "timeDate"))
        element.text = getattr(delay, "__name__", str(delay))
    element.set(_tag(XSI, "type"), "bpmn:tFormalExpression")


def _add_node(process, node, edges) -> None:
    element = ET.SubElement(process, _tag(BPMN, node.bpmn_element), id=node_id(node))
    element.set("name", force_str(node.task_title or node.name))
    if node.bpmn_element == "boundaryEvent":
        element.set("attachedToRef", node_id(node._attached_to))
        element.set("cancelActivity", "true" if node._interrupting else "false")
    if node.bpmn_element == "exclusiveGateway":
        default = next((e for e in edges if e.src is node and e.edge_class == "cond_false"), None)
        if default is not None:
            element.set("default", edge_id(default))
    if node.task_description:
        documentation = ET.SubElement(element, _tag(BPMN, "documentation"))
        documentation.text = force_str(node.task_description)
    for edge in edges:
        if edge.dst is node:
            ET.SubElement(element, _tag(BPMN, "incoming")).text = edge_id(edge)
    for edge in edges:
        if edge.src is node:
            ET.SubElement(element, _tag(BPMN, "outgoing")).text = edge_id(edge)
    if node.bpmn_element == "scriptTask":
        # What the step runs, for the reader (parsers require a script on a script task).
        function = getattr(node, "_func", None)
        script = ET.SubElement(element, _tag(BPMN, "script"))
        script.text = f"{function.__module__}.{function.__qualname__}" if function else node.name
    if node.task_type == "TIMER":
        _timer_definition(element, node)
    elif node.bpmn_element == "startEvent" and node.task_type == "START" and node._func:
        # Started by the application (a date reached), not by a person.
        ET.SubElement(element, _tag(BPMN, "messageEventDefinition"))


def _add_edge(process, edge) -> None:
    element = ET.SubElement(
        process,
        _tag(BPMN, "sequenceFlow"),
        id=edge_id(edge),
        sourceRef=node_id(edge.src),
        targetRef=node_id(edge.dst),
    )
    if edge.edge_class == "cond_true":
        element.set("name", force_str(BRANCH_CAPTIONS["cond_true"]))
        condition = ET.SubElement(element, _tag(BPMN, "conditionExpression"))
        condition.set(_tag(XSI, "type"), "bpmn:tFormalExpression")
        condition.text = force_str(edge.src.task_title or edge.src.name)
    elif edge.edge_class == "cond_false":
        element.set("name", force_str(BRANCH_CAPTIONS["cond_false"]))


def _add_diagram(definitions, flow_class, edges) -> None:
    grid = chart.calc_layout_data(flow_class, edge_start_gap_size=0, edge_end_gap_size=0)
    diagram = ET.SubElement(definitions, _tag(BPMNDI, "BPMNDiagram"), id="diagram")
    plane = ET.SubElement(
        diagram, _tag(BPMNDI, "BPMNPlane"), id="plane", bpmnElement=process_id(flow_class)
    )
    cells = {cell.node: cell for cell in grid.cells}
    for node in flow_class.instance.nodes():
        cell = cells.get(node)
        if cell is None:
            continue
        shape = ET.SubElement(
            plane, _tag(BPMNDI, "BPMNShape"), id=f"shape_{node.name}", bpmnElement=node_id(node)
        )
        ET.SubElement(
            shape,
            _tag(DC, "Bounds"),
            x=str(cell.shape.x),
            y=str(cell.shape.y),
            width=str(cell.shape.width),
            height=str(cell.shape.height),
        )
    segments = {(edge.src, edge.dst): edge.segments for edge in grid.edges}
    for edge in edges:
        points = segments.get((edge.src, edge.dst))
        if not points:
            continue
        element = ET.SubElement(
            plane, _tag(BPMNDI, "BPMNEdge"), id=f"edge_{edge_id(edge)}", bpmnElement=edge_id(edge)
        )
        for x, y in points:
            ET.SubElement(element, _tag(DI, "waypoint"), x=str(x), y=str(y))


def flow_to_bpmn(flow_class) -> str:
    """Return the BPMN 2.0 XML of ``flow_class``, titles in French, same bytes every run."""
    with override("fr"):
        edges = _sequence_edges(flow_class)
        definitions = ET.Element(
            _tag(BPMN, "definitions"),
            id=f"definitions_{flow_class.instance.flow_label}",
            targetNamespace="https://contrats-attractivite.invalid/bpmn",
        )
        process = ET.SubElement(
            definitions,
            _tag(BPMN, "process"),
            id=process_id(flow_class),
            name=force_str(flow_class.process_title),
            isExecutable="true",
        )
        if flow_class.process_description:
            ET.SubElement(process, _tag(BPMN, "documentation")).text = force_str(
                flow_class.process_description
            )
        for node in flow_class.instance.nodes():
            _add_node(process, node, edges)
        for edge in edges:
            _add_edge(process, edge)
        _add_diagram(definitions, flow_class, edges)
    ET.indent(definitions, space="  ")
    return ET.tostring(definitions, encoding="unicode", xml_declaration=True) + "\n"


def bpmn_filename(flow_class) -> str:
    return f"{flow_class.instance.flow_label}.bpmn"
