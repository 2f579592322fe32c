from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_report


@never_cache
@require_GET
def health(request):
    """Answer the health facts as JSON, without login; 503 when the database is unreachable."""
    report = health_report()
    return JsonResponse(report, status=503 if report["status"] == "down" else 200)
