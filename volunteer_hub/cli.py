"""flask commands: `demo seed`, `outbox send`, `jobs run`, `check-deploy` (volunteer_hub/deploy_checks.py)."""
from __future__ import annotations

import time

import click
from flask import current_app

from volunteer_hub.deploy_checks import check_deploy_command
from volunteer_hub.models import db, immediate_transactions


def register(app) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(outbox)
    app.cli.add_command(jobs)
    app.cli.add_command(privacy)
    # Also a `flask.commands` entry point, so it runs even when the settings stop the app starting.
    app.cli.add_command(check_deploy_command)


@click.group(help="Demo data.")
def demo():
    pass


@demo.command("seed", help="Add demo data once (running it again adds nothing).")
@click.option("--scale", type=click.FloatRange(min=0.01), default=None,
              help="Also generate benchmark data: scale 1 is 1,000 people (and each area's share); N is N times that.")
def demo_seed(scale: float | None):
    from volunteer_hub.demo import DEMO_ACCOUNTS, DEMO_AGENCIES, DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo, seed_scale
    from volunteer_hub.demo._scale import Progress

    with immediate_transactions():
        seed_demo()
        db.session.commit()
        if scale is not None:
            started = time.perf_counter()
            seed_scale(scale, Progress(show=True))
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                # Fresh statistics and visibility maps now, not when autovacuum gets round to it: without
                # them PostgreSQL hash-joins whole tables of a just-loaded 100,000 people.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")
            click.echo(f"Generated data at scale {scale:g} in {time.perf_counter() - started:.1f} s.")
    click.echo("Demo data is ready. Sign in (at /auth/sign-in) with:")
    for email, _name, roles, _org in DEMO_ACCOUNTS:
        reach = DEMO_AGENCIES.get(email, [])
        note = "" if email not in DEMO_AGENCIES else " (all agencies)" if reach is None else f" ({', '.join(reach)} only)"
        click.echo(f"  {', '.join(r.value for r in roles):<22} {email:<32} password: {DEMO_PASSWORD}{note}")
    click.echo(f"The coordinators and admin also need a code: add the key {DEMO_TOTP_SECRET} to an authenticator app.")


@click.group(help="The email outbox.")
def outbox():
    pass


@outbox.command("send", help="Send pending emails (retrying failed ones when due).")
@click.option("--loop", is_flag=True, help="Keep running, checking every few seconds.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between checks with --loop.")
def outbox_send(loop: bool, interval: float):
    from volunteer_hub.jobs import send_outbox_job

    while True:
        summary = send_outbox_job()  # it claims, sends and records in its own short transactions
        click.echo(summary)
        if not loop:
            break
        time.sleep(interval)


@click.group(help="Scheduled jobs.")
def jobs():
    pass


@jobs.command("run", help="Run every scheduled job once (reminders, lapsed offers, outbox...). Safe to run twice at once.")
def jobs_run():
    from volunteer_hub.jobs import JOBS, send_outbox_job

    ordered = [j for j in JOBS if j[1] is not send_outbox_job] + [j for j in JOBS if j[1] is send_outbox_job]
    failures = 0
    for name, fn in ordered:
        try:
            summary = fn()  # each job writes through unit_of_work
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
            db.session.rollback()
            failures += 1
            current_app.logger.exception("job %s failed", name)
            click.echo(f"{name}: FAILED: {exc}", err=True)
        else:
            click.echo(f"{name}: {summary}")
    if failures:
        raise SystemExit(1)


@click.group(help="Personal data: subject access and erasure (UK GDPR).")
def privacy():
    pass


@privacy.command("erase", help="Erase a person (UK GDPR): their details go, the figures stay.")
@click.argument("email")
@click.option("--reason", required=True, help="Why (kept in the audit trail; no personal data).")
@click.option("--store", "store_name", default=None, help="The store that gets back what is in their kit bag.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase(email: str, reason: str, store_name: str | None, yes: bool):
    from sqlalchemy import select

    from volunteer_hub.errors import DomainError
    from volunteer_hub.models import Holder, HolderKind
    from volunteer_hub.services.auth import find_user_by_email
    from volunteer_hub.services.privacy import erasure
    from volunteer_hub.unit_of_work import unit_of_work

    person = find_user_by_email(email)
    if person is None:
        raise click.ClickException(f"No one has the email address {email}.")
    store = None
    if store_name:
        store = db.session.scalar(select(Holder).where(Holder.kind == HolderKind.STORE, Holder.name == store_name))
        if store is None:
            raise click.ClickException(f"There is no store called {store_name!r}.")
    plan = erasure.erasure_plan(person)
    click.echo(f"Person #{person.id}: {len(plan.future_bookings)} future bookings will be cancelled, "
               f"{sum(b.quantity for b in plan.held)} items in their kit bag and {len(plan.loans)} loans go back "
               f"to a store, {plan.pending_emails} pending emails are dropped.")
    if not yes:
        click.confirm(f"Erase {person.name} <{person.email}>?", abort=True)
    try:
        with unit_of_work(actor=None):
            counts = erasure.erase_person(person, reason, by=None, store=store)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Erased: now {erasure.removed_name(person.id)}. " + ", ".join(f"{k.replace('_', ' ')}: {v}"
                                                                               for k, v in counts.items()))


@privacy.command("export", help="Everything the site holds about a person, as one zip (subject access).")
@click.argument("email")
@click.option("--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The zip file to write.")
def privacy_export(email: str, output: str):
    from volunteer_hub import audit
    from volunteer_hub.services.auth import find_user_by_email
    from volunteer_hub.services.privacy import subject_access
    from volunteer_hub.unit_of_work import unit_of_work

    person = find_user_by_email(email)
    if person is None:
        raise click.ClickException(f"No one has the email address {email}.")
    started = time.perf_counter()
    with open(output, "wb") as target:
        counts = subject_access.write_zip(person, target, current_app.config["VH_PARTNERSHIP_NAME"], progress=click.echo)
    with unit_of_work(actor=None):
        audit.record("privacy.exported", person, subject=person, facts={"rows": counts, "by_staff": True})
    click.echo(f"Wrote {output} for person #{person.id} ({sum(counts.values())} rows) in "
               f"{time.perf_counter() - started:.1f} s.")
