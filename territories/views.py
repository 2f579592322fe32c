"""GHT pages: an administrator, or an ARS manager in their region, creates and edits GHTs."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView

from . import services
from .access import Role, user_has_role, visible_hospital_groups, visible_regions
from .forms import HospitalGroupForm
from .models import Region

INVALID_FORM_STATUS = 400


def managed_regions(user):
    """Return the regions whose GHTs ``user`` may create or change."""
    if user.is_superuser or user_has_role(user, Role.ADMINISTRATOR):
        return Region.objects.all()
    if user_has_role(user, Role.ARS_MANAGER):
        return visible_regions(user)
    return Region.objects.none()


class HospitalGroupListView(LoginRequiredMixin, ListView):
    template_name = "territories/hospital_group_list.html"
    context_object_name = "hospital_groups"
    paginate_by = 50

    def get_queryset(self):
        return (
            visible_hospital_groups(self.request.user)
            .select_related("region")
            .annotate(member_count=Count("memberships"))
            .order_by("region__name", "name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        regions = set(managed_regions(self.request.user).values_list("pk", flat=True))
        context["managed_region_ids"] = regions
        context["can_create"] = bool(regions)
        return context


class HospitalGroupFormView(LoginRequiredMixin, FormView):
    template_name = "territories/hospital_group_form.html"
    form_class = HospitalGroupForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.regions = managed_regions(request.user)
        self.hospital_group = None
        if "pk" in kwargs:
            self.hospital_group = get_object_or_404(
                visible_hospital_groups(request.user), pk=kwargs["pk"]
            )
            if not self.regions.filter(pk=self.hospital_group.region_id).exists():
                raise PermissionDenied(_("Vous ne pouvez pas modifier ce GHT."))
        elif not self.regions.exists():
            raise PermissionDenied(_("Vous ne pouvez pas créer de GHT."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "regions": self.regions}

    def get_initial(self):
        if self.hospital_group is not None:
            return HospitalGroupForm.initial_for(self.hospital_group)
        return super().get_initial()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["hospital_group"] = self.hospital_group
        context["title"] = (
            _("Modifier le GHT « %(name)s »") % {"name": self.hospital_group.name}
            if self.hospital_group
            else _("Créer un GHT")
        )
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = INVALID_FORM_STATUS
        return response

    def form_valid(self, form):
        try:
            services.save_hospital_group(
                actor=self.request.user,
                data=form.to_input(),
                today=timezone.localdate(),
                hospital_group=self.hospital_group,
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        return redirect("territories:index")
