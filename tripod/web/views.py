"""The web pages' one jinja environment (autoescape on for every template, whatever its name)
and ``page()``, the one way a route renders a page: the signed-in session, its CSRF token and
``say`` (a sentence of the ``web`` group of messages.yaml) are in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from knowledge.catalog import sayer
from tripod.web.sessions import WebSession

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
HTMX = "htmx-2.0.11.min.js"

say = sayer("web")

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(say=say, htmx=HTMX)


def render(name: str, **context: Any) -> str:
    """Template ``name`` with ``context`` (values escaped)."""
    return _env.get_template(name).render(**context)


def page(request: Request, name: str, session: WebSession | None = None, status: int = 200,
         **context: Any) -> HTMLResponse:
    """Page ``name`` for ``session`` (None: the login page)."""
    html = render(name, request=request, session=session,
                  csrf=session.csrf if session else "", **context)
    return HTMLResponse(html, status_code=status)
