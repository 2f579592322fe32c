"""Scheme figures stored as data: one parameter set per scheme, region and effective date."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from territories.models import Region

from .. import schemes
from ..schemes import SchemeCode


class SchemeParameterSetQuerySet(models.QuerySet):
    def in_force(self, *, scheme: str, region: Region | None, on: datetime.date):
        """Return the sets of ``scheme`` in force on ``on``, national then regional, oldest first.

        Applied in that order, a regional figure overrides a national one and a later
        campaign an earlier one.
        """
        return (
            self.filter(scheme=scheme, effective_date__lte=on)
            .filter(Q(region__isnull=True) | Q(region=region))
            .order_by(models.F("region").asc(nulls_first=True), "effective_date")
        )


class SchemeParameterSet(models.Model):
    """The figures of one scheme for a region (or nationally) from a campaign's first day.

    ``values`` maps a parameter name of ``contracts.schemes.SchemeParameters`` to
    ``{"value": "<text>", "source": "<document and quote>"}``; the value is a Decimal, an
    integer or a date written as text (never a float), or ``{"months": "amount"}`` for a
    grid. A name not stored keeps the default given in code with its source.
    """

    scheme = models.CharField(_("dispositif"), max_length=10, choices=SchemeCode.choices)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scheme_parameter_sets",
        verbose_name=_("région"),
        help_text=_("Vide : paramètres nationaux, valables dans toutes les régions."),
    )
    effective_date = models.DateField(
        _("en vigueur à compter du"),
        help_text=_(
            "Un contrat garde les paramètres en vigueur à sa date de signature (ou de début "
            "s'il n'est pas signé)."
        ),
    )
    values = models.JSONField(
        _("valeurs"),
        default=dict,
        blank=True,
        help_text=_(
            'Par paramètre : {"value": "0.50", "source": "document et citation"}. '
            "Nombres écrits en texte."
        ),
    )
    note = models.TextField(_("note"), blank=True)

    objects = SchemeParameterSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("paramètres d'un dispositif")
        verbose_name_plural = _("paramètres des dispositifs")
        ordering = ["scheme", "region", "-effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "region", "effective_date"],
                name="scheme_parameters_one_set_per_region_and_date",
                violation_error_message=_(
                    "Un jeu de paramètres existe déjà pour ce dispositif, cette région et "
                    "cette date."
                ),
            ),
            models.UniqueConstraint(
                fields=["scheme", "effective_date"],
                condition=Q(region__isnull=True),
                name="scheme_parameters_one_national_set_per_date",
                violation_error_message=_(
                    "Un jeu de paramètres nationaux existe déjà pour ce dispositif à cette date."
                ),
            ),
        ]

    def __str__(self):
        where = self.region.name if self.region_id else _("national")
        return f"{self.scheme} – {where} – {self.effective_date:%d/%m/%Y}"

    def raw_values(self) -> dict[str, object]:
        """Return ``{name: value text}`` as ``SchemeParameters.with_values`` reads it."""
        return {name: entry.get("value") for name, entry in (self.values or {}).items()}

    def clean(self):
        super().clean()
        errors = []
        allowed = schemes.scheme_parameter_defaults(self.scheme)
        if not isinstance(self.values, dict):
            raise ValidationError({"values": _("Les valeurs doivent être un objet JSON.")})
        for name, entry in self.values.items():
            if name not in allowed:
                errors.append(
                    _("« %(name)s » n'est pas un paramètre du dispositif %(scheme)s.")
                    % {"name": name, "scheme": self.scheme}
                )
            elif not isinstance(entry, dict) or not str(entry.get("source", "")).strip():
                errors.append(
                    _("Le paramètre « %(name)s » doit indiquer sa valeur et sa source.")
                    % {"name": name}
                )
            elif isinstance(entry.get("value"), float):
                errors.append(
                    _("Le paramètre « %(name)s » doit être écrit en texte, pas en nombre flottant.")
                    % {"name": name}
                )
        if not errors:
            try:
                schemes.DEFAULT_PARAMETERS.with_values(self.raw_values())
            except schemes.RuleViolation as violation:
                errors.extend(violation.errors)
        if errors:
            raise ValidationError({"values": errors})


def scheme_parameters_on(
    *, scheme: str, region: Region | None, on: datetime.date
) -> schemes.SchemeParameters:
    """Return the figures of ``scheme`` in force on ``on`` in ``region``: code defaults
    overridden by the national sets, then the regional ones, each in date order."""
    params = schemes.DEFAULT_PARAMETERS
    for parameter_set in SchemeParameterSet.objects.in_force(scheme=scheme, region=region, on=on):
        params = params.with_values(parameter_set.raw_values())
    return params
