"""Tell the rights guards and journal who is acting during a request."""

from .access import acting_as


class RightsActorMiddleware:
    """Make the request's user the author of any change of roles or scopes it causes.

    Whatever page changes a group membership or an account flag (the admin, a form, an
    API call), the guards of ``territories.access`` judge it as this user's act.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(getattr(request, "user", None)):
            return self.get_response(request)
