"""What tripod/web/sessions.py keeps in the server's memory, with a clock the test moves: sessions
that nobody ended are dropped, and failed logins wait out their window, per name and per address,
without keeping every name ever tried. (How a session ends over HTTP: test_web_sessions.py.)"""

from __future__ import annotations

from tripod.web.sessions import LoginAttempts, Sessions
from tripod.web.settings import LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_NAME


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_nobody_ended_is_gone_once_idle_and_dropped_at_the_next_start() -> None:
    clock = Clock()
    kept = Sessions(idle_minutes=15, clock=clock)
    left = kept.start("alice", "practitioner")
    clock.now += 14 * 60
    assert kept.find(left.token) is left  # used again: its idle time starts over
    clock.now += 15 * 60 + 1
    kept.start("bob", "practitioner")
    assert left.token not in kept._by_token
    assert kept.find(left.token) is None


def test_failed_logins_wait_per_name_and_per_address_then_the_window_passes() -> None:
    clock = Clock()
    attempts = LoginAttempts(clock=clock)
    for _ in range(LOGIN_FAILURES_PER_NAME):
        attempts.failed("alice", "10.0.0.1")
    assert attempts.wait("ALICE", "10.0.0.9") > 0  # the name, whatever its case or address
    assert attempts.wait("bob", "10.0.0.2") == 0
    for n in range(LOGIN_FAILURES_PER_ADDRESS):
        attempts.failed(f"name{n}", "10.0.0.3")
    assert attempts.wait("bob", "10.0.0.3") > 0  # one address trying many names
    clock.now += attempts.window + 1
    assert attempts.wait("alice", "10.0.0.1") == 0
    assert attempts.wait("bob", "10.0.0.3") == 0


def test_names_tried_long_ago_are_forgotten_when_many_are_kept() -> None:
    clock = Clock()
    attempts = LoginAttempts(clock=clock, kept=50)
    for n in range(50):
        attempts.failed(f"old{n}", "10.0.0.1")
    clock.now += attempts.window + 1
    attempts.failed("new", "10.0.0.2")
    assert set(attempts._failed) == {"name:new", "address:10.0.0.2"}
