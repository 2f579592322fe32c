"""The profile page where a person creates and revokes their API tokens (French)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from .models import ApiToken
from .tokens import DEFAULT_LIFETIME, issue_token, revoke_token

LIFETIME_CHOICES = [
    (30, gettext_lazy("30 jours")),
    (90, gettext_lazy("90 jours")),
    (180, gettext_lazy("180 jours")),
    (365, gettext_lazy("1 an")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nom du jeton"),
        max_length=100,
        help_text=gettext_lazy("Par exemple : « Tableau de bord SI du GHT »."),
    )
    lifetime_days = forms.TypedChoiceField(
        label=gettext_lazy("Durée de validité"),
        choices=LIFETIME_CHOICES,
        coerce=int,
        initial=DEFAULT_LIFETIME.days,
    )


class TokenListView(LoginRequiredMixin, generic.FormView):
    """List the user's tokens; create one (its key is shown once, on this response only)."""

    template_name = "api/tokens.html"
    form_class = TokenForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tokens"] = ApiToken.objects.filter(user=self.request.user)
        context["now"] = timezone.now()
        return context

    def form_valid(self, form):
        issued = issue_token(
            user=self.request.user,
            name=form.cleaned_data["name"],
            lifetime=timedelta(days=form.cleaned_data["lifetime_days"]),
        )
        response = self.render_to_response(
            self.get_context_data(form=self.form_class(), issued=issued)
        )
        # The key is on this page only: no cache may keep it.
        response["Cache-Control"] = "no-store"
        return response


class TokenRevokeView(LoginRequiredMixin, generic.View):
    http_method_names = ["post"]

    def post(self, request, pk):
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        revoke_token(user=request.user, token=token)
        messages.success(request, _("Le jeton « %(name)s » est révoqué.") % {"name": token.name})
        return redirect("api_tokens:index")
