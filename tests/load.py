"""Simulated practitioners for the web's load test and benchmark: each logs in through the API,
answers a whole intake one question at a time as a practitioner would type it (the answers of a
case file), signs it, and times every answer's round trip."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from engine.intake import Case
from tripod.intake.questions import prefill_from, questions, show, show_flags

PASSWORD = "load-pass-1"


def case_values(path: Path) -> dict[str, Any]:
    """A case file's values as the intake's draft keys."""
    return prefill_from(Case.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))


def typed(question: dict[str, Any], values: dict[str, Any]) -> str:
    """What a practitioner would type for ``question`` (as the API describes it) given a case's
    values: a red-flag group as the terminal reads it, ``skip`` for a value the case left out."""
    found = next(q for q in questions() if q.key == question["key"])
    if found.group:
        return show_flags(found, {k: values.get(k, "no") for k in found.keys})
    if question["kind"] == "sections":
        return "all"
    value = values.get(question["key"])
    if value is None:
        return "" if question["required"] else "skip"
    return show(value)


@dataclass
class Done:
    """One simulated practitioner's intake: the draft, what each answer saved, the assessment
    stored, and each answer's round trip in seconds."""

    user: str
    draft: int = 0
    saved: dict[str, Any] = field(default_factory=dict)
    answers: int = 0
    assessment: dict[str, Any] = field(default_factory=dict)
    round_trips: list[float] = field(default_factory=list)
    seconds: float = 0.0


def add_practitioners(db: str, count: int) -> list[str]:
    """``count`` practitioner accounts ``load01``... in the store at ``db`` (which has its admin)."""
    from storage.store import open_store
    from tripod.acting import password_hash

    names = [f"load{n:02d}" for n in range(1, count + 1)]
    hashed = password_hash(PASSWORD, "password")
    with open_store(db) as store:
        for name in names:
            store.add_user(name, "practitioner", hashed, "boss")
    return names


def intake(url: str, user: str, values: dict[str, Any],
           clock: Callable[[], float] = time.perf_counter) -> Done:
    """Log in as ``user`` and answer a whole intake with ``values``, then sign it."""
    done = Done(user)
    started = clock()
    with httpx.Client(base_url=url, timeout=60) as client:
        login = client.post("/api/v1/session", json={"username": user, "password": PASSWORD})
        assert login.status_code == 200, login.text
        made = client.post("/api/v1/intakes", json={})
        assert made.status_code == 201, made.text
        state = made.json()
        done.draft = state["id"]
        while state["next"]:
            question = state["next"][0]
            before = clock()
            answer = client.post(f"/api/v1/intakes/{done.draft}/answers",
                                 json={"key": question["key"], "answer": typed(question, values)})
            done.round_trips.append(clock() - before)
            assert answer.status_code == 200, (question["key"], answer.text)
            state = answer.json()
            done.saved.update(state["saved"])
            done.answers += 1
        signed = client.post(f"/api/v1/intakes/{done.draft}/sign")
        assert signed.status_code == 201, signed.text
        done.assessment = signed.json()
    done.seconds = clock() - started
    return done


def crowd(url: str, users: Sequence[str], case: Path) -> tuple[list[Done], float]:
    """Every user's intake at once (one thread each, one client id each); the wall time of all."""
    base = case_values(case)

    def one(index: int, user: str) -> Done:
        values = {**base, "client.id": f"LOAD-{index:02d}", "client.name": None}
        return intake(url, user, values)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        results = list(pool.map(one, range(1, len(users) + 1), users))
    return results, time.perf_counter() - started


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(results: Sequence[Done]) -> dict[str, float]:
    trips = [t for done in results for t in done.round_trips]
    return {"answers": float(len(trips)), "median_ms": statistics.median(trips) * 1000,
            "p95_ms": percentile(trips, 0.95) * 1000,
            "slowest_intake_s": max(done.seconds for done in results)}

