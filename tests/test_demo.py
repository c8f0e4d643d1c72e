"""`flask demo seed`: the demo data, and with --scale the benchmark's generated data."""
from sqlalchemy import func, select

from volunteer_hub.demo.a_people import GENERATED_EMAIL_DOMAIN
from volunteer_hub.models import Organisation, Role, User, UserRole, db


def _count(stmt) -> int:
    db.session.commit()
    return db.session.scalar(stmt)


GENERATED = select(func.count()).select_from(User).where(User.email.like(f"%@{GENERATED_EMAIL_DOMAIN}"))


def test_demo_seed_adds_the_demo_accounts_once_and_generates_nothing(runner):
    for _ in range(2):
        result = runner.invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
    assert "coordinator@example.org" in result.output
    assert _count(select(func.count()).select_from(User).where(User.email == "coordinator@example.org")) == 1
    assert _count(GENERATED) == 0


def test_demo_seed_scale_generates_its_share_of_people_once(runner):
    # Scale 1 is 1,000 people; a fifth of that keeps `make test` quick.
    result = runner.invoke(args=["demo", "seed", "--scale", "0.2"])
    assert result.exit_code == 0, result.output
    assert "Generated data at scale 0.2" in result.output
    assert _count(GENERATED) == 200
    organisations = _count(select(func.count()).select_from(Organisation))
    assert organisations >= 12
    # Everyone generated has a role; some are trainers and coordinators.
    assert _count(select(func.count(func.distinct(UserRole.user_id)))) == _count(select(func.count()).select_from(User))
    assert _count(select(func.count()).select_from(UserRole).where(UserRole.role == Role.TRAINER)) > 3
    # Names look like names, and joining dates spread across about three years.
    names = db.session.scalars(select(User.name).where(User.email.like(f"%@{GENERATED_EMAIL_DOMAIN}")).limit(50)).all()
    assert all(" " in n and n[0].isupper() for n in names)
    first, last = db.session.execute(select(func.min(User.created_at), func.max(User.created_at))).one()
    assert (last - first).days > 2 * 365

    again = runner.invoke(args=["demo", "seed", "--scale", "0.2"])
    assert again.exit_code == 0, again.output
    assert _count(GENERATED) == 200
    assert _count(select(func.count()).select_from(Organisation)) == organisations


def test_demo_seed_scale_must_be_positive(runner):
    result = runner.invoke(args=["demo", "seed", "--scale", "0"])
    assert result.exit_code != 0 and "0 is not in the range" in result.output


def test_flask_jobs_run_runs_every_job_and_sends_the_outbox(runner):
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    for name in ("lapse waitlist offers", "training reminders", "certificate expiry reminders",
                 "certificate weekly summary", "send outbox"):
        assert f"{name}:" in result.output
    assert result.output.strip().splitlines()[-1].startswith("send outbox:")
