"""Test settings: fast hashing, no manifest, same database choice as the environment."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-insecure-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tasks are queued in the database as in production and run in the test's process when the
# enqueuing transaction commits (background/backends.py): pages read real task rows. The
# worker and scheduler tests switch to the plain database backend and real worker processes.
TASKS = {"default": {"BACKEND": "background.backends.InlineDatabaseBackend"}}
# A test runs inside a transaction: progress written through a connection of its own would
# outlive the test. The tests of that connection turn it on (worker processes through the
# environment).
TASK_PROGRESS_OWN_CONNECTION = os.environ.get("TASK_PROGRESS_OWN_CONNECTION", "0") == "1"
