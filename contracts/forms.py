"""Forms of the contract pages: they read what the user typed; the services decide."""

from decimal import Decimal

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from territories.models import Establishment

from .imports import KINDS, InvalidValue, parse_amount
from .models import Contract, FundingLine, StrategicAxis
from .readers import FileRefused, ImportLimits, check_file_size
from .schemes import REQUIRED_DETAILS, SchemeCode
from .selectors import eligible_beneficiaries


class AmountField(forms.CharField):
    """An amount in euros typed the French way (``12 000,50``) or not (``12000.50``)."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return parse_amount(value)
        except InvalidValue as error:
            raise forms.ValidationError(str(error), code="invalid") from error


# The kind of each detail of REQUIRED_DETAILS: counts are whole numbers, the rest figures.
DECIMAL_DETAILS = {"project_cost", "half_days", "distance_km"}


def detail_field_name(key: str) -> str:
    return f"detail_{key}"


def detail_form_field(key: str, description: str) -> forms.Field:
    label = description[:1].upper() + description[1:]
    if key in DECIMAL_DETAILS:
        return forms.DecimalField(label=label, min_value=0, max_digits=14, decimal_places=2)
    return forms.IntegerField(label=label, min_value=0)


def amount_field_name(year: int) -> str:
    return f"amount_{year}"


class FundingLineForm(forms.Form):
    """Add a funding line to a contract, or change one (``line`` given)."""

    axis = forms.ModelChoiceField(queryset=StrategicAxis.objects.none(), label=_("Axe"))
    code = forms.CharField(label=_("Code"), max_length=30)
    scheme = forms.ChoiceField(label=_("Dispositif"), choices=SchemeCode.choices)
    label = forms.CharField(label=_("Libellé"), max_length=255)
    beneficiary = forms.ModelChoiceField(
        queryset=Establishment.objects.none(), label=_("Établissement bénéficiaire")
    )
    consumption_deadline_date = forms.DateField(
        label=_("Date limite de consommation"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self,
        *args,
        contract: Contract,
        line: FundingLine | None = None,
        scheme: str = SchemeCode.OTHER,
        **kwargs,
    ):
        self.contract = contract
        self.line = line
        self.scheme_code = line.scheme if line is not None else scheme
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {**kwargs["initial"], "scheme": self.scheme_code}
        if line is not None:
            initial = {
                "axis": line.axis_id,
                "code": line.code,
                "scheme": line.scheme,
                "label": line.label,
                "beneficiary": line.beneficiary_id,
                "consumption_deadline_date": line.consumption_deadline_date,
                **{
                    detail_field_name(key): value
                    for key, value in (line.details or {}).items()
                    if not isinstance(value, (dict, list))
                },
            }
            for allocation in line.allocations.all():
                initial[amount_field_name(allocation.year)] = allocation.allocated_amount
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields["axis"].queryset = contract.axes.order_by("number")
        self.fields["beneficiary"].queryset = eligible_beneficiaries(contract)
        for year in contract.years:
            self.fields[amount_field_name(year)] = AmountField(
                label=_("Montant %(year)s (€)") % {"year": year}, required=False
            )
        # One field per detail the scheme's rules read (contracts.schemes.REQUIRED_DETAILS).
        for key, description in REQUIRED_DETAILS.get(self.scheme_code, ()):
            self.fields[detail_field_name(key)] = detail_form_field(key, description)
        # The scheme is chosen before the form (its detail fields depend on it); a line
        # stays on its axis, with its code and scheme: a new scheme is a new line.
        self.fields["scheme"].disabled = True
        if line is not None:
            for name in ("axis", "code"):
                self.fields[name].disabled = True

    def detail_keys(self) -> list[str]:
        return [key for key, _description in REQUIRED_DETAILS.get(self.scheme_code, ())]

    def details(self) -> dict:
        """Return the line's details: the typed ones over those the line already has."""
        details = dict(self.line.details or {}) if self.line is not None else {}
        for key in self.detail_keys():
            value = self.cleaned_data.get(detail_field_name(key))
            if value is None:
                details.pop(key, None)
            elif isinstance(value, Decimal):
                details[key] = (
                    str(int(value)) if value == value.to_integral() else str(value.normalize())
                )
            else:
                details[key] = value
        return details

    def add_rule_errors(self, messages: list[str]) -> None:
        """Put each scheme-rule message next to the detail field it names, else the first."""
        keys = self.detail_keys()
        for message in messages:
            field = next((k for k in keys if f"« {k} »" in message), keys[0] if keys else None)
            self.add_error(detail_field_name(field) if field else None, message)

    def detail_fields(self):
        return [self[detail_field_name(key)] for key in self.detail_keys()]

    def amounts_by_year(self) -> dict[int, Decimal]:
        """Return the amounts typed, per year; an empty box leaves that year as it is."""
        return {
            year: self.cleaned_data[amount_field_name(year)]
            for year in self.contract.years
            if self.cleaned_data.get(amount_field_name(year)) is not None
        }

    def year_fields(self):
        return [self[amount_field_name(year)] for year in self.contract.years]


class MilestoneForm(forms.Form):
    axis = forms.ModelChoiceField(queryset=StrategicAxis.objects.none(), label=_("Axe"))
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    due_date = forms.DateField(
        label=_("Échéance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    indicator_label = forms.CharField(label=_("Indicateur"), max_length=255)
    indicator_unit = forms.CharField(label=_("Unité"), max_length=50, required=False)
    baseline_value = forms.DecimalField(
        label=_("Valeur de référence"), max_digits=14, decimal_places=2, initial=Decimal(0)
    )
    target_value = forms.DecimalField(label=_("Cible"), max_digits=14, decimal_places=2)

    def __init__(self, *args, contract: Contract, milestone=None, **kwargs):
        self.contract = contract
        if milestone is not None:
            kwargs["initial"] = {
                name: getattr(milestone, name)
                for name in (
                    "title",
                    "due_date",
                    "indicator_label",
                    "indicator_unit",
                    "baseline_value",
                    "target_value",
                )
            } | {"axis": milestone.axis_id}
        super().__init__(*args, **kwargs)
        self.fields["axis"].queryset = contract.axes.order_by("number")
        self.fields["due_date"].help_text = _("Entre le %(start)s et le %(end)s.") % {
            "start": contract.start_date.strftime("%d/%m/%Y"),
            "end": contract.end_date.strftime("%d/%m/%Y"),
        }


class AxisForm(forms.Form):
    title = forms.CharField(label=_("Intitulé de l'axe"), max_length=255)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, contract: Contract, axis: StrategicAxis | None = None, **kwargs):
        if axis is not None:
            kwargs["initial"] = {"title": axis.title, "description": axis.description}
        super().__init__(*args, **kwargs)


class MilestoneRescheduleForm(forms.Form):
    due_date = forms.DateField(
        label=_("Nouvelle échéance"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label=_("Motif du report"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("2 000 caractères au plus."),
        error_messages={
            "max_length": _(
                "Le texte est trop long : %(limit_value)d caractères au plus "
                "(vous en avez saisi %(show_value)d)."
            )
        },
    )

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract

    def clean_due_date(self):
        due_date = self.cleaned_data["due_date"]
        start, end = self.contract.start_date, self.contract.end_date
        if not start <= due_date <= end:
            raise forms.ValidationError(
                _("L'échéance doit tomber dans la période du contrat (%(start)s – %(end)s).")
                % {
                    "start": date_format(start, "SHORT_DATE_FORMAT"),
                    "end": date_format(end, "SHORT_DATE_FORMAT"),
                }
            )
        return due_date


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Contenu"),
        choices=[(KINDS[0], _("Lignes de financement")), (KINDS[1], _("Jalons"))],
    )
    file = forms.FileField(
        label=_("Fichier CSV ou XLSX"),
        help_text=_(
            "Une simulation vérifie d'abord tout le fichier sans rien enregistrer ; vous "
            "confirmez ensuite l'import."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        extension = upload.name.rsplit(".", 1)[-1].lower()
        if extension not in ("csv", "xlsx"):
            raise forms.ValidationError(_("Le fichier doit être au format CSV ou XLSX."))
        try:
            check_file_size(upload.size, ImportLimits.from_settings())
        except FileRefused as error:
            raise forms.ValidationError(str(error)) from error
        upload.file_format = extension
        return upload


class NewContractForm(forms.Form):
    """A new draft: the GHT (its support establishment becomes the carrier), period, envelope."""

    hospital_group = forms.ModelChoiceField(label=_("GHT"), queryset=None)
    reference = forms.CharField(label=_("Référence"), max_length=40)
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    start_date = forms.DateField(
        label=_("Date de début"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("Date de fin (incluse)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    envelope_amount = forms.DecimalField(
        label=_("Enveloppe (€)"), max_digits=14, decimal_places=2, min_value=0
    )
    axes = forms.CharField(
        label=_("Axes stratégiques"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Un axe par ligne, dans l'ordre."),
    )
    then_import = forms.BooleanField(
        label=_("Importer ensuite les lignes et les jalons d'un fichier XLSX ou CSV"),
        required=False,
        help_text=_(
            "Le brouillon créé, la page d'import s'ouvre : une simulation d'abord, "
            "l'enregistrement ensuite."
        ),
    )

    def __init__(self, *args, hospital_groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hospital_group"].queryset = hospital_groups

    def clean_axes(self):
        titles = [line.strip() for line in self.cleaned_data["axes"].splitlines() if line.strip()]
        if not titles:
            raise forms.ValidationError(_("Indiquez au moins un axe stratégique."))
        return titles

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("La date de fin doit suivre la date de début."))
        return cleaned


class CopyContractForm(forms.Form):
    """A new draft with the axes, lines and milestones of an existing contract, new dates."""

    source = forms.ModelChoiceField(label=_("Contrat à copier"), queryset=None)
    hospital_group = forms.ModelChoiceField(label=_("GHT"), queryset=None)
    reference = forms.CharField(label=_("Référence"), max_length=40)
    title = forms.CharField(label=_("Intitulé"), max_length=255)
    start_date = forms.DateField(
        label=_("Date de début"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Toutes les dates (fin, jalons, échéances) sont décalées d'autant d'années."),
    )

    def __init__(self, *args, contracts, hospital_groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = contracts
        self.fields["hospital_group"].queryset = hospital_groups
