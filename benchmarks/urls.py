"""The project's URLs plus the bare flow's, mounted only while a benchmark measures it.

``benchmarks.transition`` imports this module before it overrides ``ROOT_URLCONF``, so
the project's URL configuration read here is the real one.
"""

from django.conf import settings
from django.urls import include, path
from viewflow.workflow.flow.viewset import FlowViewset

from .flows import BareApprovalFlow

PROJECT_URLCONF = settings.ROOT_URLCONF

urlpatterns = [
    path("mesures/flux-nu/", FlowViewset(BareApprovalFlow).urls),
    path("", include(PROJECT_URLCONF)),
]
