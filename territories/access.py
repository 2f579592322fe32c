"""Who may see and do what: the one place for roles, their permissions and their scope.

- A *role* is a Django group (``Role``); ``ROLE_PERMISSIONS`` gives each role exactly its
  model and workflow permissions, re-applied after every ``migrate`` (``sync_roles``).
- A *scope* is what a user sees: a region (ARS staff), a GHT (its support establishment's
  director) or the whole country (auditors). It is a guardian object permission held by one
  group per region or GHT (``grant_*_scope``), read in SQL by ``visible_regions`` and
  ``visible_hospital_groups``; every other layer filters its lists through these two (or
  their ids, ``visible_region_ids`` / ``visible_hospital_group_ids``, read once per request).
- Four-eyes (who prepared a decision never decides it) is a property of the decision:
  ``contracts.decisions.FourEyesDecision``.
- Rights are changed by someone (``acting_as``): an administrator manages other people's
  roles and scopes, never their own; only a superuser grants superuser or staff status,
  raw permissions or the administrator role. The guards and the journal hang on the
  model signals, so the admin, the services and any other entry point obey them alike.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import assign_perm

from audit.journal import AuditAction, record_event
from background.db import prepared

from .models import HospitalGroup, Region


class Role(models.TextChoices):
    """A role; its label is the name of its group."""

    ARS_MANAGER = "ARS_MANAGER", _("Chargé de mission ARS")
    ARS_VALIDATOR = "ARS_VALIDATOR", _("Validateur ARS")
    GHT_DIRECTOR = "GHT_DIRECTOR", _("Directeur de l'établissement support (GHT)")
    AUDITOR = "AUDITOR", _("Auditeur")
    ADMINISTRATOR = "ADMINISTRATOR", _("Administrateur")


# Group names are data (stored in auth_group): they stay in French whatever the language.
ROLE_GROUP_NAMES = {
    Role.ARS_MANAGER: "Chargé de mission ARS",
    Role.ARS_VALIDATOR: "Validateur ARS",
    Role.GHT_DIRECTOR: "Directeur de l'établissement support (GHT)",
    Role.AUDITOR: "Auditeur",
    Role.ADMINISTRATOR: "Administrateur",
}

# Earlier names of role groups: ``sync_roles`` renames such a group (members kept)
# instead of creating a second one.
FORMER_ROLE_GROUP_NAMES = {
    Role.GHT_DIRECTOR: ["Directeur de GHT"],
}

NATIONAL_SCOPE_GROUP_NAME = "Périmètre national"
REGION_SCOPE_PERMISSION = "territories.access_region"
HOSPITAL_GROUP_SCOPE_PERMISSION = "territories.access_hospitalgroup"


def region_scope_group_name(region) -> str:
    """Return the name of the group whose members see everything of ``region``."""
    return f"Périmètre région {region.code}"


def hospital_group_scope_group_name(hospital_group) -> str:
    """Return the name of the group whose members see everything of ``hospital_group``."""
    return f"Périmètre GHT {hospital_group.code}"


def user_has_role(user, role: Role) -> bool:
    """Return whether ``user`` belongs to the group of ``role`` (uses the prefetched groups)."""
    name = ROLE_GROUP_NAMES[role]
    return any(group.name == name for group in user.groups.all())


# Scope: what a user sees ---------------------------------------------------------------


def has_national_scope(user) -> bool:
    """Return whether ``user`` sees every region (global, not per-object, permission)."""
    return user.is_active and (user.is_superuser or user.has_perm(REGION_SCOPE_PERMISSION))


# The ids of a user's few regions and GHTs are read once (one small query for both,
# cached on the user object, i.e. per request) and lists filter on ``IN (ids)``: the
# planner misestimates guardian's permission subquery (about a hundred GHTs expected for
# one to eight returned) and scanned national tables for a scoped page.
_REGION_IDS = "_scope_region_ids"
_HOSPITAL_GROUP_IDS = "_scope_hospital_group_ids"


def _person(user):
    """Return the user object itself behind a request's lazy ``request.user``.

    What is cached per user lives in the user object's ``__dict__``: a lazy object has its
    own, where the permission checks (given the user itself by Django's backends) never
    look. Read through the lazy object, the scope was read a second time (issue 17).
    """
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


def forget_scope(user) -> None:
    """Drop the scope ids cached on ``user`` (after a grant or a revocation)."""
    user = _person(user)
    user.__dict__.pop(_REGION_IDS, None)
    user.__dict__.pop(_HOSPITAL_GROUP_IDS, None)


def _scope_grants_sql(connection, *, with_permissions: bool = False) -> str:
    """Return the statement reading a user's scope: the regions granted to them (by
    ``access_region``, to them or to one of their groups) and the GHTs they see (granted
    by ``access_hospitalgroup``, or in a granted region), one row ``(kind, id)`` each.

    What guardian's ``get_objects_for_user(…, accept_global_perms=False)`` asks for each
    permission, for both at once: building guardian's querysets cost more than running
    them, on every request (a task page, a step through the API).

    ``with_permissions``: the rows ``('U' or 'G', NULL, app label, codename)`` of the
    user's model permissions too, their own and their groups', as Django's ``ModelBackend``
    reads them (``user.user_permissions.all()``, ``Permission.objects.filter(group__in=
    user.groups.all())``); every row then has these four columns. The permissions and the
    object grants are named by one join for all (the planner's time counts: issue 17).
    Parameters: ``_scope_params``.
    """

    def table(model):
        return connection.ops.quote_name(model._meta.db_table)

    user_model = get_user_model()
    user_groups = table(user_model.groups.through)
    permission, content_type = table(Permission), table(ContentType)
    wanted = (
        "c.app_label = %s AND ((c.model = %s AND p.codename = %s) "
        "OR (c.model = %s AND p.codename = %s))"
    )
    text = "varchar(255)" if connection.vendor == "postgresql" else "text"
    labels = ", NULL, NULL" if with_permissions else ""
    scope = (
        f"SELECT 'R', r.id{labels} FROM {table(Region)} r WHERE CAST(r.id AS {text}) IN "
        "(SELECT object_pk FROM grants WHERE codename = %s) "
        f"UNION ALL SELECT 'H', h.id{labels} FROM {table(HospitalGroup)} h "
        f"WHERE CAST(h.id AS {text}) IN (SELECT object_pk FROM grants WHERE codename = %s) "
        f"OR CAST(h.region_id AS {text}) IN (SELECT object_pk FROM grants WHERE codename = %s)"
    )
    if not with_permissions:
        granted = (
            f"SELECT p.codename AS codename, o.object_pk AS object_pk FROM {{table}} o "
            f"INNER JOIN {permission} p ON p.id = o.permission_id "
            f"INNER JOIN {content_type} c ON c.id = p.content_type_id WHERE {{who}} AND {wanted}"
        )
        by_groups = granted.format(
            table=table(GroupObjectPermission),
            who=f"o.group_id IN (SELECT ug.group_id FROM {user_groups} ug WHERE ug.user_id = %s)",
        )
        by_user = granted.format(table=table(UserObjectPermission), who="o.user_id = %s")
        return f"WITH grants AS ({by_groups} UNION ALL {by_user}) {scope}"
    in_groups = "IN (SELECT group_id FROM user_groups)"
    held = (
        f"SELECT 'U' AS kind, up.permission_id AS permission_id, NULL AS object_pk "
        f"FROM {table(user_model.user_permissions.through)} up WHERE up.user_id = %s "
        f"UNION ALL SELECT 'G', gp.permission_id, NULL FROM {table(Group.permissions.through)} gp "
        f"WHERE gp.group_id {in_groups} "
        f"UNION ALL SELECT 'O', o.permission_id, o.object_pk "
        f"FROM {table(GroupObjectPermission)} o WHERE o.group_id {in_groups} "
        f"UNION ALL SELECT 'O', o.permission_id, o.object_pk "
        f"FROM {table(UserObjectPermission)} o WHERE o.user_id = %s"
    )
    return (
        f"WITH user_groups AS (SELECT ug.group_id FROM {user_groups} ug WHERE ug.user_id = %s), "
        f"held AS ({held}), "
        "named AS (SELECT h.kind AS kind, h.object_pk AS object_pk, c.app_label AS app_label, "
        "c.model AS model, p.codename AS codename "
        f"FROM held h INNER JOIN {permission} p ON p.id = h.permission_id "
        f"INNER JOIN {content_type} c ON c.id = p.content_type_id), "
        "grants AS (SELECT object_pk, codename FROM named c "
        f"WHERE c.kind = 'O' AND {wanted.replace('p.codename', 'c.codename')}) "
        "SELECT kind, CAST(NULL AS integer), app_label, codename FROM named WHERE kind <> 'O' "
        f"UNION ALL {scope}"
    )


def _scope_params(user, *, with_permissions: bool) -> list:
    """Return the parameters of ``_scope_grants_sql`` for ``user``."""
    region_code = REGION_SCOPE_PERMISSION.split(".")[1]
    hospital_group_code = HOSPITAL_GROUP_SCOPE_PERMISSION.split(".")[1]
    wanted = [
        Region._meta.app_label,
        Region._meta.model_name,
        region_code,
        HospitalGroup._meta.model_name,
        hospital_group_code,
    ]
    scope = [region_code, hospital_group_code, region_code]
    if with_permissions:  # the user's groups, own permissions, own grants
        return [user.pk, user.pk, user.pk, *wanted, *scope]
    return [user.pk, *wanted, user.pk, *wanted, *scope]


_SCOPE_SQL: dict[tuple[str, bool], str] = {}
# Django's ``ModelBackend`` keeps a user's model permissions on the user object under these
# names (its ``_get_permissions`` and ``get_all_permissions``), and reads them no more.
_PERMISSION_CACHES = ("_user_perm_cache", "_group_perm_cache", "_perm_cache")


def _permissions_unread(user) -> bool:
    """Return whether ``ModelBackend`` would read ``user``'s model permissions from the
    database: an active, authenticated user, not a superuser (all permissions), not yet read."""
    return (
        user.is_authenticated
        and user.is_active
        and not user.is_superuser
        and not any(hasattr(user, name) for name in _PERMISSION_CACHES)
    )


def load_rights(user) -> None:
    """Read ``user``'s model permissions and scope ids together, in one statement, unless
    read already.

    Every workflow page and step asks both (``has_perm``, then the scope): read apart,
    they cost three statements per request, and Django's queryset building on top
    (issue 17). The permissions land in ``ModelBackend``'s own caches, with the very sets
    it would have read; the scope in ``visible_region_ids``'s.
    """
    user = _person(user)
    if _permissions_unread(user) or (
        user.is_authenticated and _HOSPITAL_GROUP_IDS not in user.__dict__
    ):
        _load_scope(user)


def load_rights_with(user, sql: str, params) -> list[tuple] | None:
    """Read ``user``'s rights as ``load_rights`` does and, in the same statement, the rows
    of ``sql``: four columns, the first the literal ``'X'`` (a page's own question, asked
    before its rights are used). Return those rows; ``None`` when the rights were read
    already or are not read so (nothing is run: the caller asks its question alone)."""
    user = _person(user)
    if not _permissions_unread(user) or _HOSPITAL_GROUP_IDS in user.__dict__:
        return None
    return _load_scope(user, also=(sql, params))


def _load_scope(user, *, also=None) -> list[tuple] | None:
    """Read the ids of the regions and GHTs ``user`` sees by scope grant into its cache,
    and their model permissions with them when ``ModelBackend`` has not read them yet
    (then also the rows of ``also``, ``(sql, params)``, returned)."""
    user = _person(user)
    extra = None
    if user.is_superuser:  # as guardian: every object
        regions = frozenset(Region.objects.values_list("pk", flat=True))
        hospital_groups = frozenset(HospitalGroup.objects.values_list("pk", flat=True))
    elif not user.is_authenticated:
        regions = hospital_groups = frozenset()
    else:
        connection = transaction.get_connection()
        with_permissions = _permissions_unread(user)
        key = (connection.vendor, with_permissions)
        sql = _SCOPE_SQL.get(key)
        if sql is None:
            sql = _SCOPE_SQL[key] = _scope_grants_sql(connection, with_permissions=with_permissions)
        params = _scope_params(user, with_permissions=with_permissions)
        if also is not None and with_permissions:
            sql = f"{sql} UNION ALL {also[0]}"
            params = [*params, *also[1]]
        with prepared(connection), connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if also is not None and with_permissions:
            extra = [row for row in rows if row[0] == "X"]
        regions = frozenset(row[1] for row in rows if row[0] == "R")
        hospital_groups = frozenset(row[1] for row in rows if row[0] == "H")
        if with_permissions:
            own = {f"{row[2]}.{row[3]}" for row in rows if row[0] == "U"}
            of_groups = {f"{row[2]}.{row[3]}" for row in rows if row[0] == "G"}
            user._user_perm_cache = own
            user._group_perm_cache = of_groups
            user._perm_cache = own | of_groups
    user.__dict__[_REGION_IDS] = regions
    user.__dict__[_HOSPITAL_GROUP_IDS] = hospital_groups
    return extra


def visible_region_ids(user) -> frozenset[int]:
    """Return the ids of the regions ``user`` sees by scope grant, read once per user object.

    A national user's scope is not a list of ids: ask ``has_national_scope`` first.
    """
    user = _person(user)
    if _REGION_IDS not in user.__dict__:
        _load_scope(user)
    return user.__dict__[_REGION_IDS]


def visible_hospital_group_ids(user) -> frozenset[int]:
    """Return the ids of the GHTs ``user`` sees (own GHTs, GHTs of own regions), read once
    with the regions (``_load_scope``).

    A national user's scope is not a list of ids: ask ``has_national_scope`` first.
    """
    user = _person(user)
    if _HOSPITAL_GROUP_IDS not in user.__dict__:
        _load_scope(user)
    return user.__dict__[_HOSPITAL_GROUP_IDS]


def visible_regions(user) -> QuerySet[Region]:
    """Return the regions ``user`` may see (``IN`` their ids, read once per request)."""
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if has_national_scope(user):
        return Region.objects.all()
    return Region.objects.filter(pk__in=sorted(visible_region_ids(user)))


def visible_hospital_groups(user) -> QuerySet[HospitalGroup]:
    """Return the GHTs ``user`` may see: their own GHT(s), or every GHT of their region(s)."""
    if not user.is_authenticated or not user.is_active:
        return HospitalGroup.objects.none()
    if has_national_scope(user):
        return HospitalGroup.objects.all()
    return HospitalGroup.objects.filter(pk__in=sorted(visible_hospital_group_ids(user)))


@transaction.atomic
def grant_region_scope(*, user, region: Region, actor=None) -> Group:
    """Give ``user`` sight of every GHT and contract of ``region``, through its scope group.

    Object permissions go to one group per region rather than to each user, so the
    permission checks stay one query whatever the number of users. ``actor`` is whoever
    grants it (``None``: a command or the demo loader).
    """
    with acting_as(actor):
        group, _ = Group.objects.get_or_create(name=region_scope_group_name(region))
        assign_perm(REGION_SCOPE_PERMISSION, group, region)
        user.groups.add(group)
    forget_scope(user)
    return group


@transaction.atomic
def grant_hospital_group_scope(*, user, hospital_group: HospitalGroup, actor=None) -> Group:
    """Give ``user`` sight of ``hospital_group`` and its contracts, through its scope group."""
    with acting_as(actor):
        group, _ = Group.objects.get_or_create(name=hospital_group_scope_group_name(hospital_group))
        assign_perm(HOSPITAL_GROUP_SCOPE_PERMISSION, group, hospital_group)
        user.groups.add(group)
    forget_scope(user)
    return group


@transaction.atomic
def grant_national_scope(*, user, actor=None) -> Group:
    """Give ``user`` sight of every region (a global permission, for national auditors)."""
    with acting_as(actor):
        group, _ = Group.objects.get_or_create(name=NATIONAL_SCOPE_GROUP_NAME)
        app_label, codename = REGION_SCOPE_PERMISSION.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
        user.groups.add(group)
    return group


@transaction.atomic
def revoke_scope(*, actor, user, group: Group) -> None:
    """Take the scope group ``group`` (region, GHT or national) away from ``user``."""
    with acting_as(actor):
        user.groups.remove(group)


# Who changes rights: guards and journal --------------------------------------------------


class RightsChangeRefused(PermissionDenied):
    """A change of roles, scopes or account flags its actor may not make."""


_actor: ContextVar = ContextVar("rights_actor", default=None)

MANAGE_USERS_PERMISSION = "auth.change_user"


@contextmanager
def acting_as(actor):
    """Make ``actor`` the author of the rights changes made inside the block.

    ``None`` keeps the current actor (set by ``RightsActorMiddleware`` for a request):
    a service called from a page still knows who is acting.
    """
    if actor is None:
        yield
        return
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    """Return who is changing rights now (``None``: code run outside any request)."""
    actor = _actor.get()
    if actor is None or not actor.is_authenticated:
        return None
    return actor


def _refuse(message: str):
    raise RightsChangeRefused(message)


def check_can_manage_user(actor, user) -> None:
    """Refuse unless ``actor`` may change the roles and scopes of ``user``."""
    if actor is None or actor.is_superuser:
        return
    if not actor.is_active or not actor.has_perm(MANAGE_USERS_PERMISSION):
        _refuse(gettext("Vous n'avez pas le droit de gérer les rôles des utilisateurs."))
    if actor.pk == user.pk:
        _refuse(
            gettext(
                "Un administrateur ne peut pas modifier ses propres rôles ni son propre "
                "périmètre : demandez-le à un autre administrateur."
            )
        )
    if user.is_superuser or user.is_staff:
        _refuse(gettext("Seul un superutilisateur gère les comptes d'administration."))


def check_can_grant_group(actor, group: Group) -> None:
    """Refuse unless ``actor`` may give or take ``group``: the administrator role and
    groups holding raw permissions of the admin are a superuser's to give."""
    if actor is None or actor.is_superuser:
        return
    if (
        group.name == ROLE_GROUP_NAMES[Role.ADMINISTRATOR]
        or group.permissions.filter(content_type__app_label="auth").exists()
    ):
        _refuse(gettext("Seul un superutilisateur peut attribuer le rôle Administrateur."))


def check_superuser_only(actor) -> None:
    """Refuse unless ``actor`` is a superuser (or code outside any request)."""
    if actor is not None and not actor.is_superuser:
        _refuse(
            gettext(
                "Seul un superutilisateur peut accorder le statut superutilisateur ou "
                "équipe, ou des permissions individuelles."
            )
        )


def grantable_groups(actor) -> QuerySet[Group]:
    """Return the groups ``actor`` may give or take (every group for a superuser)."""
    if actor.is_superuser:
        return Group.objects.all()
    return Group.objects.exclude(name=ROLE_GROUP_NAMES[Role.ADMINISTRATOR]).exclude(
        permissions__content_type__app_label="auth"
    )


@transaction.atomic
def assign_role(*, actor, user, role: Role) -> Group:
    """Give ``role`` to ``user``; ``actor`` may not be ``user`` (unless a superuser)."""
    group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
    with acting_as(actor):
        user.groups.add(group)
    return group


@transaction.atomic
def remove_role(*, actor, user, role: Role) -> None:
    """Take ``role`` away from ``user``, under the same rules as ``assign_role``."""
    group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
    with acting_as(actor):
        user.groups.remove(group)


@transaction.atomic
def set_account_flags(*, actor, user, is_staff: bool | None = None, is_superuser=None) -> None:
    """Change the staff or superuser status of ``user``: a superuser's decision only."""
    with acting_as(actor):
        if is_staff is not None:
            user.is_staff = is_staff
        if is_superuser is not None:
            user.is_superuser = is_superuser
        user.save(update_fields=["is_staff", "is_superuser"])


def _journal_rights(user, summary: str, changes: dict) -> None:
    actor = current_actor()
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CHANGE,
            obj=user,
            object_type="auth.User",
            object_label=user.get_username(),
            summary=summary % {"user": user.get_username()},
            changes=changes,
        )


def _group_names(pks) -> list[str]:
    return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))


def on_user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Guard and journal every change of group membership (roles and scopes)."""
    user_model = get_user_model()
    if not reverse:
        forget_scope(instance)
    if reverse:  # group.user_set.add(users): one change per user
        group = instance
        if action == "pre_clear":
            pk_set = set(group.user_set.values_list("pk", flat=True))
            instance._rights_cleared = pk_set
        elif action == "post_clear":
            pk_set = getattr(instance, "_rights_cleared", set())
        users = list(user_model.objects.filter(pk__in=pk_set or ()))
        for user in users:
            _on_membership(user, action, {group.pk})
        return
    if action == "pre_clear":
        pk_set = set(instance.groups.values_list("pk", flat=True))
        instance._rights_cleared = pk_set
    elif action == "post_clear":
        pk_set = getattr(instance, "_rights_cleared", set())
    _on_membership(instance, action, set(pk_set or ()))


def _on_membership(user, action: str, group_pks: set[int]) -> None:
    if not group_pks:
        return
    actor = current_actor()
    if action.startswith("pre_"):
        check_can_manage_user(actor, user)
        for group in Group.objects.filter(pk__in=group_pks):
            check_can_grant_group(actor, group)
        return
    after = set(user.groups.values_list("pk", flat=True))
    before = after - group_pks if action == "post_add" else after | group_pks
    _journal_rights(
        user,
        gettext("Rôles et périmètres de %(user)s modifiés"),
        {"groups": {"before": _group_names(before), "after": _group_names(after)}},
    )


def on_user_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Only a superuser gives raw permissions to a user; every change is journaled."""
    if action.startswith("pre_"):
        check_superuser_only(current_actor())
        return
    users = list(get_user_model().objects.filter(pk__in=pk_set or ())) if reverse else [instance]
    for user in users:
        _journal_rights(
            user,
            gettext("Permissions individuelles de %(user)s modifiées"),
            {
                "user_permissions": {
                    "action": action.removeprefix("post_"),
                    "after": sorted(user.user_permissions.values_list("codename", flat=True)),
                }
            },
        )


def on_group_permissions_changed(sender, instance, action, **kwargs):
    """A role's permissions are the code's (``sync_roles``) or a superuser's to change."""
    if action.startswith("pre_"):
        check_superuser_only(current_actor())


ACCOUNT_FLAGS = ("is_superuser", "is_staff")


def on_user_pre_save(sender, instance, update_fields=None, **kwargs):
    """Refuse a flag change by anyone but a superuser; remember the flags for the journal."""
    if update_fields is not None and not set(update_fields) & set(ACCOUNT_FLAGS):
        instance._rights_flags_before = None
        return
    before = (
        sender._default_manager.filter(pk=instance.pk).values(*ACCOUNT_FLAGS).first()
        if instance.pk
        else None
    ) or dict.fromkeys(ACCOUNT_FLAGS, False)
    after = {flag: getattr(instance, flag) for flag in ACCOUNT_FLAGS}
    instance._rights_flags_before = before if before != after else None
    if instance._rights_flags_before is not None:
        check_superuser_only(current_actor())


def on_user_post_save(sender, instance, **kwargs):
    before = getattr(instance, "_rights_flags_before", None)
    if before is None:
        return
    instance._rights_flags_before = None
    _journal_rights(
        instance,
        gettext("Statut du compte %(user)s modifié"),
        {
            flag: {"before": before[flag], "after": getattr(instance, flag)}
            for flag in ACCOUNT_FLAGS
            if before[flag] != getattr(instance, flag)
        },
    )


def _object_permission_holder_is_actor(actor, instance) -> bool:
    if getattr(instance, "user_id", None) is not None:
        return instance.user_id == actor.pk
    return actor.groups.filter(pk=instance.group_id).exists()


def on_object_permission_changed(sender, instance, **kwargs):
    """Guard an object permission (a scope) given or taken outside the services."""
    actor = current_actor()
    if actor is None or actor.is_superuser:
        return
    if _object_permission_holder_is_actor(actor, instance):
        _refuse(
            gettext(
                "Un administrateur ne peut pas modifier ses propres rôles ni son propre "
                "périmètre : demandez-le à un autre administrateur."
            )
        )


def on_object_permission_saved(sender, instance, created=False, **kwargs):
    _journal_object_permission(instance, "granted" if created else "changed")


def on_object_permission_deleted(sender, instance, **kwargs):
    _journal_object_permission(instance, "revoked")


def _journal_object_permission(instance, what: str) -> None:
    holder = instance.user if getattr(instance, "user_id", None) else instance.group
    with transaction.atomic():
        record_event(
            actor=current_actor(),
            action=AuditAction.CHANGE,
            object_type=instance._meta.label,
            object_id=str(instance.pk or ""),
            object_label=str(holder)[:255],
            summary=gettext("Permission d'objet modifiée pour %(holder)s") % {"holder": holder},
            changes={
                "object_permission": {
                    "what": what,
                    "permission": instance.permission.codename,
                    "object": f"{instance.content_type.model}:{instance.object_pk}",
                }
            },
        )


def connect_rights_signals() -> None:
    """Hang the guards and the journal on the models that hold rights (app ready)."""
    from django.db.models.signals import (
        m2m_changed,
        post_delete,
        post_save,
        pre_delete,
        pre_save,
    )
    from guardian.models import GroupObjectPermission, UserObjectPermission

    user_model = get_user_model()
    uid = "territories.access"
    m2m_changed.connect(on_user_groups_changed, sender=user_model.groups.through, dispatch_uid=uid)
    m2m_changed.connect(
        on_user_permissions_changed, sender=user_model.user_permissions.through, dispatch_uid=uid
    )
    m2m_changed.connect(
        on_group_permissions_changed, sender=Group.permissions.through, dispatch_uid=uid
    )
    pre_save.connect(on_user_pre_save, sender=user_model, dispatch_uid=uid)
    post_save.connect(on_user_post_save, sender=user_model, dispatch_uid=uid)
    for model in (UserObjectPermission, GroupObjectPermission):
        pre_save.connect(on_object_permission_changed, sender=model, dispatch_uid=uid)
        pre_delete.connect(on_object_permission_changed, sender=model, dispatch_uid=uid)
        post_save.connect(on_object_permission_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(on_object_permission_deleted, sender=model, dispatch_uid=uid)


# What each role may do -------------------------------------------------------------------

TERRITORY_MODELS = [
    "territories.region",
    "territories.department",
    "territories.legalentity",
    "territories.establishment",
    "territories.hospitalgroup",
    "territories.hospitalgroupmembership",
]
CONTRACT_MODELS = [
    "contracts.contract",
    "contracts.strategicaxis",
    "contracts.fundingline",
    "contracts.yearlyallocation",
    "contracts.milestone",
    "contracts.evidencedocument",
    "contracts.creditdelegation",
    "contracts.creditdelegationline",
    "contracts.consumptionstatement",
    "contracts.recovery",
    "contracts.amendment",
]
CALL_MODELS = [
    "calls.campaign",
    "calls.dossier",
    "calls.establishmentprofile",
    "calls.dossierpartner",
    "calls.dossieraction",
    "calls.dossierdocument",
]
# Individual awards hold personal data (name, RPPS): ARS staff only, never GHT directors or
# auditors, who see a line's amounts and the number of its awards (CALLS.md 3.9).
AWARD_MODELS = ["calls.individualaward", "calls.awardinstalment"]
AWARD_RECOVERY_PERMISSION = "calls.decide_award_recovery"
# Stored documents (signed contracts): seen by every reader, added by managers, never changed.
DOCUMENT_MODELS = ["contracts.contractdocument"]
JOURNAL_MODELS = ["audit.auditevent"]


def _perms(actions: list[str], models: list[str]) -> list[str]:
    perms = []
    for model in models:
        app_label, model_name = model.split(".")
        perms.extend(f"{app_label}.{action}_{model_name}" for action in actions)
    return perms


PROCESS_MODELS = ["workflows.contractprocess"]
# Asking for a region export writes a job and runs it: ARS staff who act, not read-only roles.
REGION_EXPORT_PERMISSION = "reporting.add_exportjob"

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.ARS_MANAGER: [
        *_perms(["view"], TERRITORY_MODELS + JOURNAL_MODELS + PROCESS_MODELS),
        *_perms(["view", "add", "change"], CONTRACT_MODELS),
        *_perms(["view", "add", "change"], CALL_MODELS),
        *_perms(["view", "add", "change"], AWARD_MODELS),
        *_perms(["view", "add"], DOCUMENT_MODELS),
        "workflows.submit_contract",
        "workflows.record_signature",
        "workflows.prepare_delegation",
        "workflows.review_milestone",
        "workflows.check_statement",
        "workflows.draft_amendment",
        "workflows.check_dossier",
        "workflows.instruct_dossier",
        "workflows.notify_dossier",
        "workflows.fund_dossier",
        REGION_EXPORT_PERMISSION,
    ],
    Role.ARS_VALIDATOR: [
        *_perms(
            ["view"],
            TERRITORY_MODELS + CONTRACT_MODELS + CALL_MODELS + JOURNAL_MODELS + PROCESS_MODELS,
        ),
        *_perms(["view"], DOCUMENT_MODELS),
        *_perms(["view"], AWARD_MODELS),
        AWARD_RECOVERY_PERMISSION,
        "workflows.approve_contract",
        "workflows.approve_delegation",
        "workflows.approve_recovery",
        "workflows.approve_amendment",
        "workflows.decide_dossier",
        REGION_EXPORT_PERMISSION,
    ],
    Role.GHT_DIRECTOR: [
        *_perms(["view"], TERRITORY_MODELS + CONTRACT_MODELS + DOCUMENT_MODELS + PROCESS_MODELS),
        "contracts.add_evidencedocument",
        "workflows.report_milestone",
        "workflows.submit_statement",
    ],
    Role.AUDITOR: [
        *_perms(
            ["view"],
            TERRITORY_MODELS + CONTRACT_MODELS + CALL_MODELS + JOURNAL_MODELS + PROCESS_MODELS,
        ),
        *_perms(["view"], DOCUMENT_MODELS),
    ],
    Role.ADMINISTRATOR: [
        *_perms(["view", "add", "change", "delete"], TERRITORY_MODELS),
        *_perms(["view"], CONTRACT_MODELS + DOCUMENT_MODELS + JOURNAL_MODELS + PROCESS_MODELS),
        *_perms(["view", "add", "change"], ["auth.user", "auth.group"]),
    ],
}


def _permission_objects(codes: list[str]) -> list[Permission]:
    query = Q()
    for code in codes:
        app_label, codename = code.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query).select_related("content_type"))
    missing = set(codes) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"Permissions inconnues pour les rôles : {', '.join(sorted(missing))}")
    return found


@transaction.atomic
def sync_roles() -> dict[str, int]:
    """Create the role groups and give each exactly its permissions; return counts per group."""
    counts = {}
    for role, former_names in FORMER_ROLE_GROUP_NAMES.items():
        if not Group.objects.filter(name=ROLE_GROUP_NAMES[role]).exists():
            Group.objects.filter(name__in=former_names).update(name=ROLE_GROUP_NAMES[role])
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
        group.permissions.set(_permission_objects(codes))
        counts[group.name] = len(codes)
    return counts


def sync_roles_after_migrate(sender, using="default", **kwargs):
    """Keep the role groups in step with the code after every ``migrate``."""
    sync_roles()
