"""Migrations are the only way the schema is made: they must build an empty database and agree with the models."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from volunteer_hub import create_app
from volunteer_hub.models import db


@pytest.fixture()
def empty_database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    from volunteer_hub.config import normalise_database_url

    base = normalise_database_url(base)
    name = f"vh_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# SQLite cannot reflect expression indexes (ix_users_lower_name): SQLAlchemy and Alembic say so
# and leave it out of the comparison there; PostgreSQL compares it.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index ix_users_lower_name")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index 'ix_users_lower_name'")
def test_upgrade_builds_an_empty_database_that_matches_the_models(empty_database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index ix_users_lower_name")
def test_0010_keeps_todays_coordinators_and_admins_seeing_every_agency(empty_database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:
            for n, role in enumerate(("coordinator", "admin", "volunteer"), start=1):
                conn.execute(text("INSERT INTO users (id, email, name, is_active, session_version, created_at) "
                                  "VALUES (:id, :email, 'X', TRUE, 1, CURRENT_TIMESTAMP)"),
                             {"id": n, "email": f"p{n}@example.org"})
                conn.execute(text("INSERT INTO user_roles (user_id, role, granted_at) VALUES (:id, :role, CURRENT_TIMESTAMP)"),
                             {"id": n, "role": role})
        upgrade()
        with db.engine.connect() as conn:
            flags = dict(conn.execute(text("SELECT id, sees_all_agencies FROM users ORDER BY id")).all())
        db.engine.dispose()
    assert {k: bool(v) for k, v in flags.items()} == {1: True, 2: True, 3: False}
