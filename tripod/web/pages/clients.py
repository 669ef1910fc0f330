"""The clients' pages: ``/clients`` lists the store's clients with a search by id or name (POSTed,
so a name typed never travels in a URL; htmx swaps the list in place), and ``/clients/{client_id}``
one client's visits, the progress chart and the latest verdict on the hypothesis, drawn by the
reports' own code (``service.progress_html``). Reading a client is audited by the service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from engine.intake import CLIENT_ID
from knowledge.catalog import catalog, sayer
from tripod.web.security import Checked, Signed, acting, store_of
from tripod.web.views import page, render

router = APIRouter()
say_records = sayer("web_records")

# The longest search text read: a client's id or a name, not a document.
MAX_SEARCH = 100


def _clients_page(request: Request, session: Signed, matching: str) -> Response:
    from tripod import service

    with acting(session):
        rows = service.client_list(store_of(request), matching)
        total = len(rows) if not matching.strip() else len(service.client_list(store_of(request)))
    context: dict[str, Any] = {"rows": rows, "total": total, "matching": matching, "r": say_records}
    if request.headers.get("hx-request"):  # htmx: the list alone, swapped in place
        return Response(render("clients_list.html", **context), media_type="text/html")
    return page(request, "clients.html", session, **context)


@router.get("/clients")
def clients(request: Request, session: Signed) -> Response:
    return _clients_page(request, session, "")


@router.post("/clients")
def search_clients(request: Request, session: Checked,
                   query: str = Form("", max_length=MAX_SEARCH)) -> Response:
    return _clients_page(request, session, query)


def client_id_or_404(client_id: str) -> str:
    """``client_id`` when it is a client id (engine.intake.CLIENT_ID); else the 404 page."""
    if not CLIENT_ID.fullmatch(client_id):
        raise HTTPException(status_code=404)
    return client_id


@router.get("/clients/{client_id}")
def client(client_id: str, request: Request, session: Signed) -> Response:
    from tripod import service

    with acting(session):
        found = service.client_record(store_of(request), client_id_or_404(client_id))
    if found is None:
        raise HTTPException(status_code=404)
    last = found.visits[-1].case.get("client", {})
    return page(request, "client.html", session, r=say_records, texts=catalog().texts,
                client_id=client_id, client_name=last.get("name"), visits=found.visits,
                progress=service.progress_html(found.history))
