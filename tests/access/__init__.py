"""Who may use each route, gathered from one module per area (tests/access/<area>.py).

Each module defines ACCESS = {endpoint: level} and PARAMS = {url argument: fn(ctx) -> value};
ctx is a dict shared by one test run, so a PARAMS function can create what it needs once:
`lambda ctx: ctx.setdefault("session", make_session()).id`. OWNED_PARAMS (optional) are the
same, for objects that belong to ctx["person"] (tests/test_access.py's two-agency matrix).
"""
import importlib
import pkgutil

ACCESS: dict[str, str] = {}
PARAMS: dict = {}
# For the two-agency matrix: a builder giving the owner's (ctx["person"]'s) object where PARAMS
# gives a shared one, e.g. their kit bag for holder_id (PARAMS gives a store).
OWNED_PARAMS: dict = {}

for _module in pkgutil.iter_modules(__path__):
    _mod = importlib.import_module(f"{__name__}.{_module.name}")
    ACCESS.update(getattr(_mod, "ACCESS", {}))
    PARAMS.update(getattr(_mod, "PARAMS", {}))
    OWNED_PARAMS.update(getattr(_mod, "OWNED_PARAMS", {}))
