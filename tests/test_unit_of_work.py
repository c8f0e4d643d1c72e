"""The one transaction boundary: a change that succeeds is committed, a refusal leaves nothing
written and says why (on the form, or flashed), anything else rolls back and propagates."""
import pytest
from flask import get_flashed_messages
from wtforms import StringField

from tests.factories import make_org, make_user
from volunteer_hub.actor import acting_person
from volunteer_hub.errors import Conflict
from volunteer_hub.forms import Form
from volunteer_hub.models import Organisation, db
from volunteer_hub.unit_of_work import REFUSED, refused_status, unit_of_work


class NameForm(Form):
    name = StringField("Name")


def _names() -> set[str]:
    return {o.name for o in db.session.scalars(db.select(Organisation))}


def test_success_is_committed(app):
    with app.test_request_context("/", method="POST"):
        with unit_of_work() as work:
            db.session.add(Organisation(name="Street Pastors", kind=make_org().kind))
        assert work.ok and work.error is None
    db.session.rollback()  # nothing pending: it was committed
    assert "Street Pastors" in _names()


def test_a_refusal_writes_nothing_and_goes_next_to_its_field(app):
    kind = make_org().kind
    with app.test_request_context("/", method="POST", data={"name": "x"}):
        form = NameForm(meta={"csrf": False})
        with unit_of_work(form) as work:
            db.session.add(Organisation(name="Half written", kind=kind))
            db.session.flush()
            raise Conflict("That name is taken.", "name")
        assert not work.ok and work.error.message == "That name is taken."
        assert form.name.errors == ["That name is taken."]
        assert refused_status(form) == REFUSED == 400
    assert "Half written" not in _names()


def test_a_refused_button_is_flashed(app):
    with app.test_request_context("/", method="POST"):
        with unit_of_work() as work:
            raise Conflict("This session is already cancelled.")
        assert not work.ok
        assert get_flashed_messages(with_categories=True) == [("danger", "This session is already cancelled.")]


def test_any_other_error_rolls_back_and_propagates(app):
    kind = make_org().kind
    with app.test_request_context("/", method="POST"), pytest.raises(ZeroDivisionError):
        with unit_of_work():
            db.session.add(Organisation(name="Never", kind=kind))
            db.session.flush()
            1 / 0  # noqa: B018
    assert "Never" not in _names()


def test_outside_a_request_a_refusal_is_raised_after_the_rollback(app):
    kind = make_org().kind
    with pytest.raises(Conflict):
        with unit_of_work():
            db.session.add(Organisation(name="From a command", kind=kind))
            db.session.flush()
            raise Conflict("No.")
    assert "From a command" not in _names()


def test_the_actor_is_the_signed_in_person_or_whoever_the_command_names(app):
    person = make_user()
    with unit_of_work(actor=person):
        assert acting_person() is person
    with app.test_request_context("/"):
        assert acting_person() is None  # signed out
