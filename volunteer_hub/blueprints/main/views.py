from flask import current_app, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from volunteer_hub.blueprints.main import bp
from volunteer_hub.extensions import limiter
from volunteer_hub.models import Role, db
from volunteer_hub.services.privacy import notice

# Areas call add_dashboard_panel(order, template, roles) to put a panel on the signed-in home page.
DASHBOARD_PANELS: list[tuple[int, str, tuple | None]] = []


def add_dashboard_panel(order: int, template: str, roles: tuple | None = None) -> None:
    """`template` is rendered inside a card column; roles None means everyone signed in."""
    if not any(p[1] == template for p in DASHBOARD_PANELS):
        DASHBOARD_PANELS.append((order, template, roles))
        DASHBOARD_PANELS.sort(key=lambda p: p[0])


# Staff see what needs doing first.
add_dashboard_panel(5, "main/_staff_panel.html", (Role.COORDINATOR, Role.ADMIN))


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.get("/home")
@login_required
def dashboard():
    panels = [t for _o, t, roles in DASHBOARD_PANELS if roles is None or current_user.has_role(*roles)]
    return render_template("main/dashboard.html", panels=panels)


@bp.app_template_global("staff_panel")
def staff_panel():
    """Data for the staff's "to do" panel: counts in one query, the next four weeks' sessions, low
    stock, and for admins in production the unsafe settings `flask check-deploy` lists (no query)."""
    import os

    from volunteer_hub.deploy_checks import settings_problems
    from volunteer_hub.queries import home as home_queries
    from volunteer_hub.services.equipment import low_stock_summary

    # Outside production every check would fire (that is what development is): say nothing there.
    live = current_user.is_admin and current_app.config.get("VH_ENV") == "production"
    problems = settings_problems(current_app.config, os.environ) if live else []
    return {"summary": home_queries.staff_summary(current_user), "coming": home_queries.coming_sessions(),
            "low_stock": low_stock_summary(), "problems": problems}


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/readyz")
@limiter.exempt
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - report, do not crash
        current_app.logger.warning("readyz: database not reachable: %s", exc)
        return "database unavailable\n", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ready\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/privacy")
def privacy():
    return render_template("main/privacy.html", **notice.notice_context())


@bp.get("/accessibility")
def accessibility():
    return render_template("main/accessibility.html")
