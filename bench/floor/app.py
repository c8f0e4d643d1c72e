"""The floor: the least a signed-in page can cost on this stack, on this machine.

A minimal Flask app with what every signed-in page of volunteer_hub needs and nothing else:
Flask-Login (the person from the session cookie, with session protection), Flask-WTF's CSRF token
(the sign-out form in the menu) and a Jinja layout of the same size as volunteer_hub's signed-in
accessibility statement (about 6 KB, the same menu and footer). No database: the person comes
from a dict. `bench/run.py` runs it under gunicorn beside the site and reports each page as a
share of its throughput.

    .venv/bin/python -m gunicorn --workers 4 --bind 127.0.0.1:5391 "bench.floor.app:create_app()"
    curl -c jar http://127.0.0.1:5391/sign-in && curl -b jar http://127.0.0.1:5391/page
"""
from __future__ import annotations

import os

from flask import Flask, redirect, render_template
from flask_login import LoginManager, UserMixin, login_required, login_user
from flask_wtf.csrf import CSRFProtect

MENU = [("/home", "Home"), ("/training/sessions", "Training"), ("/training/mine", "My training"),
        ("/certificates", "My certificates"), ("/equipment/kit-bag", "My kit bag")]


class Person(UserMixin):
    def __init__(self, id_: int, name: str):
        self.id, self.name = id_, name


PEOPLE = {"1": Person(1, "Vicky Volunteer")}


def create_app() -> Flask:
    app = Flask(__name__)
    # One key for every worker (bench/run.py passes the site's): a cookie signed by one is read by all.
    app.config.update(SECRET_KEY=os.environ.get("SECRET_KEY", "the-floor-app-is-a-benchmark-only"),
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    CSRFProtect(app)
    login = LoginManager(app)
    login.session_protection = "basic"
    login.user_loader(PEOPLE.get)

    @app.get("/healthz")
    def healthz():
        return "ok", 200, {"Content-Type": "text/plain"}

    @app.get("/sign-in")
    def sign_in():
        login_user(PEOPLE["1"])
        return redirect("/page")

    @app.get("/page")
    @login_required
    def page():
        return render_template("layout.html", menu=MENU, title="Accessibility statement")

    return app
