"""What one ``tripod serve`` runs with, decided before the application is made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# How long a web session lasts: idle, and at most in all (a working day).
IDLE_MINUTES = 15
LIFETIME_HOURS = 12
# Failed logins before a name, or an address, must wait: per name, per address, in this window.
LOGIN_FAILURES_PER_NAME = 5
LOGIN_FAILURES_PER_ADDRESS = 20
LOGIN_WINDOW_MINUTES = 15
# The largest request body read (a case file's own limit, storage/casefile.py MAX_BYTES, plus room).
MAX_BODY_BYTES = 1024 * 1024 + 4096


@dataclass(frozen=True)
class WebSettings:
    """``db``: the record store (as ``--db``); ``tls``: served over HTTPS (cookies are Secure);
    ``behind_proxy``: a TLS proxy in front (cookies are Secure, its forwarded address is used)."""

    db: str | None = None
    tls: bool = False
    behind_proxy: bool = False
    idle_minutes: int = IDLE_MINUTES
    clinic: Path | None = None

    @property
    def secure_cookies(self) -> bool:
        return self.tls or self.behind_proxy
