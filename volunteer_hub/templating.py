"""Jinja filters and globals. All times are shown in Europe/London by `local`."""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_login import current_user

from volunteer_hub.clock import format_local, time_range
from volunteer_hub.models import Role

__all__ = ["format_local", "ordinal", "register"]


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Navigation: (order, endpoint, label, roles that see it; None = every signed-in person).
# Each area adds its entries from its blueprint package with `add_nav_item`.
NAV_ITEMS: list[tuple[int, str, str, tuple[Role, ...] | None]] = []


def add_nav_item(order: int, endpoint: str, label: str, roles: tuple[Role, ...] | None = None) -> None:
    if not any(item[1] == endpoint for item in NAV_ITEMS):
        NAV_ITEMS.append((order, endpoint, label, roles))
        NAV_ITEMS.sort(key=lambda item: item[0])


add_nav_item(0, "main.dashboard", "Home")
add_nav_item(80, "people.directory", "Volunteers", (Role.COORDINATOR, Role.ADMIN))


def nav_items() -> list[tuple[str, str, str]]:
    """(endpoint, url, label) of the menu for the signed-in person. Every page draws it, so the
    list is worked out once per set of roles (and URL root) and kept for the process's life."""
    if not current_user.is_authenticated:
        return []
    roles = frozenset(current_user.roles)
    cache = current_app.extensions.setdefault("vh_nav_items", {})
    key = (roles, request.script_root)
    if key not in cache:
        items = []
        for _order, endpoint, label, allowed in NAV_ITEMS:
            if endpoint not in current_app.view_functions:
                continue
            if allowed is not None and not roles.intersection((*allowed, Role.ADMIN)):
                continue
            items.append((endpoint, fixed_url(endpoint), label))
        cache[key] = items
    return cache[key]


def fixed_url(endpoint: str, **values) -> str:
    """`url_for` for links that are the same on every request (static files, the menu, the
    footer): built once per process. Building a URL costs ~15 us and every page has a dozen."""
    cache = current_app.extensions.setdefault("vh_fixed_urls", {})
    key = (endpoint, tuple(sorted(values.items())), request.script_root)
    if key not in cache:
        cache[key] = url_for(endpoint, **values)
    return cache[key]


def page_url(page: int) -> str:
    """The current URL with ?page= changed (keeps filters)."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def has_endpoint(endpoint: str) -> bool:
    """Lets shared templates link to an area only once that area exists."""
    return endpoint in current_app.view_functions


def register(app) -> None:
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["ordinal"] = ordinal
    app.jinja_env.filters["time_range"] = time_range
    app.jinja_env.globals.update(nav_items=nav_items, page_url=page_url, fixed_url=fixed_url, has_endpoint=has_endpoint,
                                 Role=Role)

    app.jinja_env.globals["partnership_name"] = app.config["VH_PARTNERSHIP_NAME"]
