"""The viewflow Site: the product's front door, assembled from each layer's applications."""

from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from api.viewsets import ApiTokensApp
from contracts.viewsets import ContractsApp
from reporting.history.viewsets import AuditApp
from reporting.viewsets import ProgressApp
from workflows.flows import FLOWS
from workflows.viewsets import ScopedFlowViewset, ScopedWorkflowApp

site = Site(
    title=_("Contrats d'attractivité"),
    primary_color="#000091",
    secondary_color="#e1000f",
    viewsets=[
        ContractsApp(),
        ProgressApp(),
        AuditApp(),
        ScopedWorkflowApp(flow_viewsets=[ScopedFlowViewset(flow_class) for flow_class in FLOWS]),
        ApiTokensApp(),
    ],
)
