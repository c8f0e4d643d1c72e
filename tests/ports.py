"""Ports for the servers the tests start (gunicorn, the SMTP server), all on loopback.

With VH_E2E_PORTS set (e.g. "5300-5399": several people or CI jobs sharing a machine) every
server takes the first free port in that range; otherwise each uses its own default range, or
any free port the system gives."""
from __future__ import annotations

import os
import socket


def free_port(default: range | None = None) -> int:
    spec = os.environ.get("VH_E2E_PORTS")
    if spec:
        first, last = (int(x) for x in spec.split("-"))
        ports = range(first, last + 1)
    else:
        ports = default or range(0, 1)  # port 0: any free port
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in {spec or f'{ports.start}-{ports.stop - 1}'}")
