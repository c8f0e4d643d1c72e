import time, functools
import tests.e2e.journeys as j
totals = {}
def wrap(mod, name):
    f = getattr(mod, name)
    @functools.wraps(f)
    def g(*a, **k):
        t = time.monotonic()
        try: return f(*a, **k)
        finally: totals[name] = totals.get(name, 0) + time.monotonic() - t
    setattr(mod, name, g)
for n in ["check_accessibility", "screenshot", "tab_to"]:
    wrap(j, n)
from tests.e2e.server import LiveServer
wrap(LiveServer, "send_outbox")
def pytest_sessionfinish(session):
    print("\nTIMING", {k: round(v,1) for k,v in totals.items()})
