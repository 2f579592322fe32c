import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import connection
from django.test import RequestFactory, override_settings

from background.db import prepared

BASE_DIR = Path(settings.BASE_DIR)


def run_manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestProductionSettings:
    def test_check_deploy_passes_without_warning(self):
        result = run_manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DJANGO_SETTINGS_MODULE="config.settings.prod",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL="sqlite:///:memory:",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_refuse_to_start_without_a_secret_key(self):
        result = run_manage(
            "check", DJANGO_SETTINGS_MODULE="config.settings.prod", DJANGO_SECRET_KEY=""
        )
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY" in result.stderr

    def test_refuse_to_load_the_demo(self):
        result = run_manage(
            "load_demo",
            DJANGO_SETTINGS_MODULE="config.settings.prod",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL="sqlite:///:memory:",
        )
        assert result.returncode != 0
        assert "interdits" in result.stderr


def login_request():
    """Return a login request: the throttling backend (first in the chain) needs one."""
    return RequestFactory().post("/accounts/login/")


@pytest.mark.django_db
class TestDemoPassword:
    def test_opens_the_demo_account_where_demo_accounts_are_allowed(self):
        user = get_user_model().objects.create_user("demo", password=settings.DEMO_PASSWORD)
        assert (
            authenticate(login_request(), username="demo", password=settings.DEMO_PASSWORD) == user
        )

    def test_is_refused_where_demo_accounts_are_off(self):
        get_user_model().objects.create_user("demo", password=settings.DEMO_PASSWORD)
        with override_settings(DEMO_ACCOUNTS_ALLOWED=False):
            assert (
                authenticate(login_request(), username="demo", password=settings.DEMO_PASSWORD)
                is None
            )


class TestDatabaseSettings:
    def test_embedded_sqlite_runs_in_wal_mode_with_immediate_transactions(
        self, tmp_path, monkeypatch
    ):
        from config.settings.base import database_from_env

        monkeypatch.delenv("DATABASE_URL", raising=False)
        config = database_from_env(f"sqlite:///{tmp_path / 'db.sqlite3'}")
        assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]

    def test_database_url_selects_postgresql_with_prepared_statements(self, monkeypatch):
        from config.settings.base import database_from_env

        monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
        monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
        config = database_from_env()
        assert config["ENGINE"] == "config.postgresql"
        assert config["OPTIONS"] == {"server_side_binding": True}
        assert config["PREPARED_MAX"] >= 100

    def test_prepared_statements_can_be_turned_off(self, monkeypatch):
        from config.settings.base import database_from_env

        monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
        monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "off")
        config = database_from_env()
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert "server_side_binding" not in config.get("OPTIONS", {})

    @pytest.mark.django_db
    def test_postgresql_prepares_the_statements_asked_only(self):
        """A statement run in ``prepared`` is prepared on its first run and reused; any
        other is planned at each run, whatever its count (a list's plan depends on the
        user's scope: issue 17)."""
        if connection.settings_dict["ENGINE"] != "config.postgresql":
            pytest.skip("prepared statements are the PostgreSQL backend's")
        with connection.cursor() as cursor:
            for _ in range(2):
                with prepared(connection):
                    cursor.execute("SELECT %s::int + 1 AS ctd_prepared_probe", [1])
                    assert cursor.fetchone() == (2,)
            for _ in range(8):
                cursor.execute("SELECT %s::int + 1 AS ctd_planned_probe", [1])
            cursor.execute(
                "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%ctd_p%_probe%"],
            )
            statements = [row[0] for row in cursor.fetchall()]
        assert len(statements) == 1 and "ctd_prepared_probe" in statements[0]
        assert connection.connection.prepared_max == connection.settings_dict["PREPARED_MAX"]
        assert connection.connection.prepare_threshold is None  # back to none outside

    @pytest.mark.django_db
    def test_the_journal_append_is_prepared(self):
        if connection.settings_dict["ENGINE"] != "config.postgresql":
            pytest.skip("prepared statements are the PostgreSQL backend's")
        from audit.journal import AuditAction, record_event

        for number in (1, 2):
            record_event(
                actor=None,
                action=AuditAction.CREATE,
                object_type="tests.Probe",
                object_id=str(number),
                summary="Sonde",
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%audit_auditevent%"],
            )
            assert cursor.fetchone()[0] >= 1

    @pytest.mark.django_db
    def test_the_running_sqlite_database_is_in_wal_mode(self):
        if connection.vendor != "sqlite" or connection.settings_dict["NAME"].startswith(
            "file:memorydb"
        ):
            pytest.skip("only meaningful on a file-backed SQLite database")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"


class TestLocale:
    def test_french_is_the_default_language_in_paris_time(self):
        assert settings.LANGUAGE_CODE == "fr"
        assert settings.TIME_ZONE == "Europe/Paris"
        assert settings.USE_TZ is True


class TestTheLanguage:
    def test_is_french_whatever_the_browser_asks(self, client):
        page = client.get(
            "/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"
        ).content.decode()
        assert '<html lang="fr"' in page
        assert "Mot de passe" in page
        assert "Password" not in page
