"""The viewflow Site: the product's front door, assembled from each layer's applications."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from api.viewsets import ApiTokensApp
from calls.viewsets import CallsApp
from contracts.viewsets import ContractsApp
from reporting.history.viewsets import AuditApp
from reporting.viewsets import ProgressApp
from territories.viewsets import TerritoriesApp
from workflows.flows import ALL_FLOWS
from workflows.home import MyActionsView
from workflows.viewsets import ScopedFlowViewset, ScopedWorkflowApp


class ContractsSite(Site):
    """The Site whose front door is « Mes actions » (viewflow redirects to the first app)."""

    menu_template_name = "config/site_menu.html"

    @property
    def index_path(self):
        return path("", MyActionsView.as_view(), name="index")


site = ContractsSite(
    title=_("Contrats d'attractivité"),
    primary_color="#000091",
    secondary_color="#e1000f",
    viewsets=[
        ContractsApp(),
        CallsApp(),
        ProgressApp(),
        AuditApp(),
        TerritoriesApp(),
        ScopedWorkflowApp(
            flow_viewsets=[ScopedFlowViewset(flow_class) for flow_class in ALL_FLOWS]
        ),
        ApiTokensApp(),
    ],
)
