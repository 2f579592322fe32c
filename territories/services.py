"""Write use cases of the territory: GHTs built from establishments already imported.

Keyword-only, atomic, journaled in the caller's transaction; a refused write raises a
``ValidationError`` with French messages and changes nothing. Who may call them (an
administrator, or an ARS manager in the GHT's region) is checked by the pages.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.journal import AuditAction, diff_fields, record_event

from .models import Establishment, HospitalGroup, HospitalGroupMembership, MembershipRole, Region

AUDITED_FIELDS = ("code", "name", "region_id", "convention_date", "common_direction")


@dataclass(frozen=True)
class HospitalGroupInput:
    code: str
    name: str
    region: Region
    support: Establishment
    members: tuple[Establishment, ...] = ()
    partners: tuple[Establishment, ...] = ()
    convention_date: date | None = None
    common_direction: str = ""


def _composition(hospital_group: HospitalGroup) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {role: [] for role in MembershipRole.values}
    for membership in hospital_group.memberships.select_related("establishment", "legal_entity"):
        party = membership.establishment or membership.legal_entity
        found[membership.role].append(party.finess or party.name)
    return {role: sorted(parties) for role, parties in found.items()}


def _check(data: HospitalGroupInput, *, today: date) -> None:
    errors: dict[str, list[str]] = {}
    if not data.code.strip():
        errors.setdefault("code", []).append(_("Le code du GHT est obligatoire."))
    if not data.name.strip():
        errors.setdefault("name", []).append(_("Le nom du GHT est obligatoire."))
    if data.support.department is None or data.support.department.region_id != data.region.pk:
        errors.setdefault("support", []).append(
            _("L'établissement support doit être situé dans la région du GHT.")
        )
    members, partners = set(data.members), set(data.partners)
    if data.support in members | partners:
        errors.setdefault("members", []).append(
            _("L'établissement support ne peut pas être aussi membre ou partenaire.")
        )
    if members & partners:
        errors.setdefault("partners", []).append(
            _("Un établissement ne peut pas être à la fois membre et partenaire : %(names)s.")
            % {"names": ", ".join(sorted(e.name for e in members & partners))}
        )
    if data.convention_date and data.convention_date > today:
        errors.setdefault("convention_date", []).append(
            _("La date de la convention constitutive ne peut pas être dans le futur.")
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_hospital_group(
    *,
    actor,
    data: HospitalGroupInput,
    today: date,
    hospital_group: HospitalGroup | None = None,
) -> HospitalGroup:
    """Create a GHT, or change one, with its support, members and partners; journal it."""
    _check(data, today=today)
    duplicates = HospitalGroup.objects.filter(code=data.code.strip())
    if hospital_group is not None:
        duplicates = duplicates.exclude(pk=hospital_group.pk)
    if duplicates.exists():
        raise ValidationError({"code": [_("Un GHT porte déjà ce code.")]})
    creating = hospital_group is None
    if creating:
        hospital_group = HospitalGroup()
        before_fields, before_parties = {}, {}
    else:
        hospital_group = HospitalGroup.objects.select_for_update().get(pk=hospital_group.pk)
        before_fields = {name: getattr(hospital_group, name) for name in AUDITED_FIELDS}
        before_parties = _composition(hospital_group)
    hospital_group.code = data.code.strip()
    hospital_group.name = data.name.strip()
    hospital_group.region = data.region
    hospital_group.convention_date = data.convention_date
    hospital_group.common_direction = data.common_direction.strip()
    hospital_group.save()
    _replace_memberships(hospital_group, data)
    after_fields = {name: getattr(hospital_group, name) for name in AUDITED_FIELDS}
    after_parties = _composition(hospital_group)
    changes = diff_fields(before_fields, after_fields)
    changes.update(diff_fields(before_parties, after_parties))
    record_event(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.CHANGE,
        obj=hospital_group,
        summary=(_("GHT créé") if creating else _("GHT modifié")),
        changes=changes,
    )
    return hospital_group


def _replace_memberships(hospital_group: HospitalGroup, data: HospitalGroupInput) -> None:
    wanted: dict[int, str] = {e.pk: MembershipRole.MEMBER for e in data.members}
    wanted.update({e.pk: MembershipRole.PARTNER for e in data.partners})
    wanted[data.support.pk] = MembershipRole.SUPPORT
    existing = {
        m.establishment_id: m
        for m in hospital_group.memberships.filter(establishment__isnull=False)
    }
    # The support changes first, so the one-support constraint never sees two.
    stale = [pk for pk, m in existing.items() if wanted.get(pk) != m.role]
    HospitalGroupMembership.objects.filter(
        hospital_group=hospital_group, establishment_id__in=stale
    ).delete()
    HospitalGroupMembership.objects.bulk_create(
        HospitalGroupMembership(hospital_group=hospital_group, establishment_id=pk, role=role)
        for pk, role in _ordered(wanted)
        if pk not in existing or pk in stale
    )


def _ordered(wanted: dict[int, str]) -> Iterable[tuple[int, str]]:
    return sorted(wanted.items())
