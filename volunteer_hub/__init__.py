"""volunteer_hub: training, certificates and equipment for community-safety volunteers."""
from __future__ import annotations

from flask import Flask

from volunteer_hub.config import load_config


def create_app(config: str | type | None = None, **overrides) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config, overrides)
    refuse_unsafe_settings(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_request_hooks(app)
    register_commands(app)
    register_proxy_fix(app)
    return app


def refuse_unsafe_settings(app: Flask) -> None:
    """Production does not start on a fatal setting (volunteer_hub/deploy_checks.py lists them)."""
    from volunteer_hub.deploy_checks import refuse_unsafe_production

    refuse_unsafe_production(app)


def register_extensions(app: Flask) -> None:
    from volunteer_hub import (
        csrf_tokens,
        data_cache,
        models,  # noqa: F401  (every table known before anything runs)
        signed_in_cache,
    )
    from volunteer_hub.extensions import bootstrap, csrf, db, limiter, login_manager, mail, migrate
    from volunteer_hub.login import CookieSessions, configure_login
    from volunteer_hub.services import report_rollups  # noqa: F401  (its listeners keep the report's roll-ups)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    configure_login(login_manager)
    app.session_interface = CookieSessions()
    login_manager.init_app(app)
    signed_in_cache.register(app)
    data_cache.register(app)
    mail.init_app(app)
    csrf.init_app(app)
    csrf_tokens.register(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    _limit_only_where_decorated(app, limiter)


def _limit_only_where_decorated(app: Flask, limiter) -> None:
    """Every limit here is a decorator on its view (sign-in, codes, verification, exports), and a
    decorated view checks its own limits when it runs. Flask-Limiter's before-request hook only
    adds default and application-wide limits, which this site has none of, yet it costs every
    request (7-9% of a small page, a fifth of /healthz): it is taken out unless such limits are set."""
    if any(app.config.get(key) for key in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")):
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # noqa: SLF001 - the hook Flask-Limiter registered
        hooks.remove(limiter._check_request_limit)  # noqa: SLF001


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def register_blueprints(app: Flask) -> None:
    from volunteer_hub.blueprints import BLUEPRINTS
    from volunteer_hub.urls import DatabaseIntConverter

    # Before any route: every <int:...> in a URL is an id or number a database column can hold.
    app.url_map.converters["int"] = DatabaseIntConverter
    for bp, prefix in BLUEPRINTS:
        app.register_blueprint(bp, url_prefix=prefix)


def register_errorhandlers(app: Flask) -> None:
    from volunteer_hub.error_pages import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from volunteer_hub.templating import register

    register(app)


def register_request_hooks(app: Flask) -> None:
    from volunteer_hub.hooks import register

    register(app)


def register_proxy_fix(app: Flask) -> None:
    """Behind VH_TRUSTED_PROXIES proxies, take the client's address, scheme and host from their
    X-Forwarded-* headers (rate limits count per real address). 0 or unset trusts none."""
    trusted = int(app.config.get("VH_TRUSTED_PROXIES") or 0)
    if trusted > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted, x_port=trusted)


def register_commands(app: Flask) -> None:
    from volunteer_hub.cli import register

    register(app)
