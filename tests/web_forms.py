"""What the web pages' tests share: an HTTP client logged in through the login form as a browser
is, the CSRF token of a page's form, an example case as the API takes it, and an intake answered
through the API up to the question a test looks at."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.load import typed
from tests.web import ACCOUNTS

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@contextmanager
def signed_in(url: str, user: str = "alice", **options: Any) -> Iterator[httpx.Client]:
    """An HTTP client of the server at ``url`` logged in as ``user`` through the login form."""
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False, **options) as client:
        answer = client.post("/login", data={"username": user, "password": ACCOUNTS[user][1]})
        assert answer.status_code == 303, answer.text
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of the page ``html``."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def case_json(path: Path, **client: str) -> dict[str, Any]:
    """The case file at ``path`` as the API takes it, its client's fields replaced by ``client``."""
    document: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(path.read_text()),
                                                     default=str))
    document["client"].update(client)
    return document


def stored_id(answer: httpx.Response) -> int:
    """The assessment id a ``POST /api/v1/assessments`` stored."""
    assert answer.status_code in (200, 201), answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def up_to(client: httpx.Client, values: dict[str, Any], stop: str,
          follow_up: str | None = None) -> int:
    """A new intake (the follow-up of ``follow_up``) answered through the API until the question
    ``stop`` is the only one of its section left; its draft id."""
    made = client.post("/api/v1/intakes", json={"follow_up": follow_up} if follow_up else {})
    assert made.status_code == 201, made.text
    state = made.json()
    draft = state["id"]
    while asked := [q for q in state["next"] if q["key"] != stop]:
        answer = client.post(f"/api/v1/intakes/{draft}/answers",
                             json={"key": asked[0]["key"], "answer": typed(asked[0], values)})
        assert answer.status_code == 200, answer.text
        state = answer.json()
    assert [q["key"] for q in state["next"]] == [stop]
    return int(draft)


def the_rest(client: httpx.Client, draft: int, values: dict[str, Any]) -> None:
    """Every question still asked answered through the API."""
    state = client.get(f"/api/v1/intakes/{draft}").json()
    while state["next"]:
        question = state["next"][0]
        answer = client.post(f"/api/v1/intakes/{draft}/answers",
                             json={"key": question["key"], "answer": typed(question, values)})
        assert answer.status_code == 200, answer.text
        state = answer.json()
