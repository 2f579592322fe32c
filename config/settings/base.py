"""Settings shared by every environment; what varies is read from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Return the boolean value of the environment variable ``name``."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Return the comma-separated environment variable ``name`` as a list."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "guardian",
    "import_export",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "viewflow",
    "viewflow.workflow",
    "axes",
    # The layers, lowest first (docs/ARCHITECTURE.md). "background" before "django_tasks_db":
    # its ``db_worker`` (with a heartbeat) replaces the package's.
    "background",
    "django_tasks_db",
    "audit",
    "territories",
    "contracts",
    "calls",
    "reporting",
    "api",
    "demo",
    "benchmarks",
    # Last: its post_migrate hook grants permissions of every other app to the roles.
    "workflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "territories.middleware.RightsActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before viewflow's: reads a task URL's scope row with the user's rights (one query).
    "workflows.middleware.TaskScopeReadMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    "workflows.middleware.TaskUrlGuardMiddleware",
    "workflows.middleware.FlowLockFailedMiddleware",
    # Last: turns a locked-out login into the French lockout page (config/login_throttling.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"


def database_from_env(default_url: str = DEFAULT_SQLITE_URL) -> dict:
    """Return the ``default`` database: ``DATABASE_URL`` if set, else embedded SQLite."""
    config = dj_database_url.parse(os.environ.get("DATABASE_URL", default_url), conn_max_age=60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
            # lock at BEGIN so two writers queue instead of failing on upgrade.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config.update(postgresql_statements(os.environ.get("DATABASE_PREPARED_STATEMENTS", "on")))
    return config


def postgresql_statements(setting: str) -> dict:
    """Return the settings of PostgreSQL's backend with the statements every step runs
    prepared once per connection (``config/postgresql/base.py``); "off" keeps Django's
    own, every statement sent as text and planned at each run."""
    if setting.strip().lower() in ("0", "off", "false", "no"):
        return {}
    return {
        "ENGINE": "config.postgresql",
        "OPTIONS": {"server_side_binding": True},
        "PREPARED_MAX": 200,
    }


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses any login attempt on a locked account or address before checking it.
    "axes.backends.AxesStandaloneBackend",
    "config.auth_backends.DemoGuardModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): failures counted per account and address, and per
# address whatever the account; both locks last AXES_COOLOFF_TIME after the last failure.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
LOGIN_FAILURE_LIMITS = [
    int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_ACCOUNT", "5")),
    int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_ADDRESS", "30")),
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMITS[0]
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_HANDLER = "config.login_throttling.PerParameterLimitHandler"
AXES_LOCKOUT_CALLABLE = "config.login_throttling.lockout_response"
# Behind a proxy, set how many proxies to trust so the address is the client's.
AXES_IPWARE_PROXY_COUNT = (
    int(os.environ["AXES_PROXY_COUNT"]) if "AXES_PROXY_COUNT" in os.environ else None
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Demo accounts share one documented password, for local use only: production refuses it.
DEMO_PASSWORD = "demo-ars-2025"
DEMO_ACCOUNTS_ALLOWED = True

LANGUAGE_CODE = "fr"
# French only: the users are French public servants, the texts quote French law, and no
# translation is maintained (strings still go through gettext, ready for one).
LANGUAGES = [("fr", _("Français"))]
# The product's wording for some of viewflow's strings, and the French of its scripts
# (``djangojs``, served by ``jsi18n/``): this catalogue wins over the packages' own.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Evidence and signed documents: the largest upload accepted, in bytes (10 MB by default).
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
MEDIA_URL = "media/"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

GUARDIAN_RAISE_403 = True
ANONYMOUS_USER_NAME = None

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Cells starting with =, +, -, @ are neutralised so no spreadsheet runs them.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Contract data imports (contracts/readers.py): each bound is checked before the work it
# protects. A 10,000-line, 50-column sheet is about 20 MB of XML once unzipped.
CONTRACT_IMPORT_MAX_FILE_BYTES = 10 * 1024 * 1024
CONTRACT_IMPORT_MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
# openpyxl loads an XLSX's shared-strings table whole (about 170 bytes of memory per text);
# 8 MB holds far more distinct texts than 10,000 lines carry.
CONTRACT_IMPORT_MAX_SHARED_STRINGS_BYTES = 8 * 1024 * 1024
CONTRACT_IMPORT_MAX_ROWS = 10_000
CONTRACT_IMPORT_MAX_COLUMNS = 50
# FINESS uploads (territories/import_jobs.py): the national extract weighs about 100 MB; it
# is streamed record by record, never loaded whole.
# GHT members (territories/membership_import.py): a few lines per GHT, CSV only.
GHT_MEMBERS_IMPORT_MAX_FILE_BYTES = 2 * 1024 * 1024
GHT_MEMBERS_IMPORT_MAX_ROWS = 5_000
FINESS_IMPORT_MAX_FILE_BYTES = int(
    os.environ.get("FINESS_IMPORT_MAX_FILE_BYTES", str(300 * 1024 * 1024))
)

REST_FRAMEWORK = {
    # Token first: its ``WWW-Authenticate`` makes an unauthenticated call a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("API_RATE_PER_TOKEN", "600/minute")},
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contrats d'attractivité territoriale",
    "DESCRIPTION": (
        "API des contrats d'attractivité entre ARS et GHT : lecture des contrats, de leur "
        "avancement et du journal, dépôt des déclarations et décisions. Chaque appel voit "
        "exactement le périmètre de la personne (jeton personnel ou session). Les erreurs "
        "suivent la RFC 9457 (application/problem+json)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc served from the app itself: no CDN (offline ARS machines).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
        "api.schema.add_links",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ContractStatusEnum": "contracts.models.ContractStatus",
        "DecisionStatusEnum": "contracts.models.DecisionStatus",
        "MilestoneStatusEnum": "contracts.models.MilestoneStatus",
        "CampaignStateEnum": "calls.models.CampaignState",
        "DossierStateEnum": "calls.models.DossierState",
        "CommitteeOutcomeEnum": "calls.models.CommitteeOutcome",
        "CompletenessOutcomeEnum": "api.actions.CompletenessOutcome",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Milestone reviews open this many days before the due date, remind the GHT this many
# days before it; both are defaults a region can change without a release.
MILESTONE_REVIEW_LEAD_DAYS = int(os.environ.get("MILESTONE_REVIEW_LEAD_DAYS", "30"))
MILESTONE_REMINDER_DAYS = int(os.environ.get("MILESTONE_REMINDER_DAYS", "7"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ne-pas-repondre@ars.invalid")

# Numbers, money and dates in the French display form (config/formats/fr/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

# Démarches simplifiées GraphQL API v2 (calls.ds); the token is read from DS_API_TOKEN.
DS_API_URL = os.environ.get("DS_API_URL", "https://www.demarches-simplifiees.fr/api/v2/graphql")

# The task engine (docs/DEPLOY.md): Django's Tasks API with its database backend; workers
# (`manage.py db_worker`) on any machines share the queue. A worker beats every
# TASK_HEARTBEAT_SECONDS; a running task whose worker has not beaten for TASK_WORKER_TIMEOUT
# seconds is queued again, at most TASK_MAX_ATTEMPTS times in all.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
TASK_HEARTBEAT_SECONDS = float(os.environ.get("TASK_HEARTBEAT_SECONDS", "10"))
TASK_WORKER_TIMEOUT = float(os.environ.get("TASK_WORKER_TIMEOUT", "60"))
TASK_MAX_ATTEMPTS = int(os.environ.get("TASK_MAX_ATTEMPTS", "3"))

# Periodic work: one scheduler at a time (`manage.py run_scheduler`, a database lock held for
# SCHEDULER_LEASE_SECONDS and renewed on every pass) queues each job as a task once its
# period (seconds) has passed and its previous run is over. One line adds a job.
SCHEDULER_LEASE_SECONDS = float(os.environ.get("SCHEDULER_LEASE_SECONDS", "60"))
PERIODIC_JOBS = {
    "open_due_processes": {"function": "workflows.scheduling.open_due_processes", "every": 60},
    "workflow_timers": {"function": "workflows.scheduling.fire_workflow_timers", "every": 60},
    "ds_sync": {"function": "calls.tasks.sync_open_campaigns", "every": 900},
    "audit_checkpoint": {"function": "audit.checkpoints.take_checkpoint", "every": 300},
    "expired_exports": {"function": "reporting.jobs.delete_expired_exports", "every": 3600},
    "expired_imports": {
        "function": "background.imports.delete_expired_import_files",
        "every": 3600,
    },
    "finished_tasks": {"function": "background.retention.prune_finished_tasks", "every": 86400},
}
# Finished tasks (and what pages read from them) are kept this many days.
TASK_RESULT_DAYS = int(os.environ.get("TASK_RESULT_DAYS", "7"))

# Background exports: their files go to the default storage and are deleted after this long.
EXPORT_FILE_HOURS = int(os.environ.get("EXPORT_FILE_HOURS", "24"))
# Uploaded files to import (background/imports.py): kept this long for the dry run and the
# confirmation, then deleted.
IMPORT_FILE_HOURS = int(os.environ.get("IMPORT_FILE_HOURS", "24"))
# On PostgreSQL, the progress of a task writing in one transaction (an import) goes through a
# connection of its own, so that pages see it while the transaction runs.
TASK_PROGRESS_OWN_CONNECTION = os.environ.get("TASK_PROGRESS_OWN_CONNECTION", "1") == "1"
# Write the ARS decisions back to DS (messages, acceptances, refusals): off unless set, since
# a write reaches the applicant. The token (DS_API_TOKEN) needs write access; the
# instructor's GraphQL id is read from demarche.groupeInstructeurs.instructeurs.id.
DS_WRITE_BACK = os.environ.get("DS_WRITE_BACK", "") == "1"
DS_INSTRUCTEUR_ID = os.environ.get("DS_INSTRUCTEUR_ID", "")
