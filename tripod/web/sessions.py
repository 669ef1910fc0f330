"""Web sessions and login attempts, held in the server's memory only.

A session is a random token in an HttpOnly cookie; the server keeps, for each, the account, its
role, the CSRF token of its forms and when it was last used. A session idle longer than the idle
time, or older than its lifetime, is gone; so are all of an account's sessions when it logs out
everywhere or is found disabled. A restart ends every session (nothing about a session is ever
written to disk); the intake's answers are in the store's drafts, so nothing is lost with it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from tripod.web.settings import (
    LIFETIME_HOURS,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_NAME,
    LOGIN_WINDOW_MINUTES,
)

Clock = Callable[[], float]
# How many names and addresses with failed logins are kept before those outside the window go.
KEPT_KEYS = 10_000


@dataclass
class WebSession:
    """One signed-in browser or script: ``token`` (the cookie), ``csrf`` (every form's token)."""

    token: str
    user: str
    role: str
    csrf: str
    started: float
    seen: float
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def admin(self) -> bool:
        return self.role == "admin"


class Sessions:
    """The server's sessions: made at login, found by cookie, ended by idle time or logout."""

    def __init__(self, idle_minutes: int, clock: Clock = time.monotonic) -> None:
        self.idle = idle_minutes * 60.0
        self.lifetime = LIFETIME_HOURS * 3600.0
        self.clock = clock
        self._by_token: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def start(self, user: str, role: str) -> WebSession:
        now = self.clock()
        made = WebSession(secrets.token_urlsafe(32), user, role, secrets.token_urlsafe(32),
                          now, now)
        with self._lock:
            # Sessions nobody ended (a closed browser) go when the next one starts.
            for token in [t for t, s in self._by_token.items() if not self._live(s, now)]:
                del self._by_token[token]
            self._by_token[made.token] = made
        return made

    def _live(self, found: WebSession, now: float) -> bool:
        return now - found.seen <= self.idle and now - found.started <= self.lifetime

    def find(self, token: str | None) -> WebSession | None:
        """The live session of ``token`` (its idle time restarted), or None."""
        if not token:
            return None
        now = self.clock()
        with self._lock:
            found = self._by_token.get(token)
            if found is None:
                return None
            if not self._live(found, now):
                del self._by_token[token]
                return None
            found.seen = now
            return found

    def end(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)

    def end_for(self, user: str) -> int:
        """End every session of account ``user`` (disabled, say); how many there were."""
        with self._lock:
            gone = [token for token, s in self._by_token.items() if s.user == user]
            for token in gone:
                del self._by_token[token]
        return len(gone)


class LoginAttempts:
    """Failed logins counted per account name and per client address over a sliding window;
    either over its limit makes every login from it wait (HTTP 429), right password or not."""

    def __init__(self, clock: Clock = time.monotonic, kept: int = KEPT_KEYS) -> None:
        self.window = LOGIN_WINDOW_MINUTES * 60.0
        self.clock = clock
        self.kept = kept
        self._failed: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> tuple[tuple[str, int], tuple[str, int]]:
        return ((f"name:{name.casefold()}", LOGIN_FAILURES_PER_NAME),
                (f"address:{address}", LOGIN_FAILURES_PER_ADDRESS))

    def wait(self, name: str, address: str) -> int:
        """Seconds before a login as ``name`` from ``address`` is tried again; 0: now."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for key, limit in self._keys(name, address):
                times = self._failed.get(key)
                if not times:
                    continue
                while times and now - times[0] > self.window:
                    times.popleft()
                if len(times) >= limit:
                    longest = max(longest, self.window - (now - times[0]))
        return int(longest) + 1 if longest else 0

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failed) >= self.kept:  # names tried long ago are forgotten
                for key in [k for k, t in self._failed.items() if now - t[-1] > self.window]:
                    del self._failed[key]
            for key, _ in self._keys(name, address):
                self._failed.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failed.pop(f"name:{name.casefold()}", None)
