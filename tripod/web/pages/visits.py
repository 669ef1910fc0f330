"""A stored visit's pages: ``/visits/{assessment_id}`` its summary with a report shown in a
sandboxed frame, ``/visits/{id}/report/{audience}.html`` the report itself (as ``tripod report ID``
renders it, ``service.stored_screening``) under its own Content-Security-Policy (its inline style
and pictures, no script), and ``.pdf`` the same report as a download, audited as an export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from knowledge.catalog import catalog
from tripod.web.pages.clients import say_records
from tripod.web.security import REPORT_CSP, Signed, acting, store_of
from tripod.web.views import page

if TYPE_CHECKING:
    from storage.records import StoredAssessment
    from tripod.web.sessions import WebSession

router = APIRouter()


def _stored(request: Request, session: WebSession, assessment_id: str,
            action: str = "view") -> StoredAssessment:
    """The stored visit ``assessment_id`` (digits), its reading audited as ``action``; else the
    404 page."""
    from tripod import service

    if not assessment_id.isascii() or not assessment_id.isdigit() or len(assessment_id) > 18:
        raise HTTPException(status_code=404)
    with acting(session):
        found = service.look_up(store_of(request), int(assessment_id), action)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _audience_or_404(audience: str) -> str:
    from tripod.service import AUDIENCES

    if audience not in AUDIENCES:
        raise HTTPException(status_code=404)
    return audience


@router.get("/visits/{assessment_id}")
def visit(assessment_id: str, request: Request, session: Signed,
          report: str = "practitioner") -> Response:
    stored = _stored(request, session, assessment_id)
    return page(request, "visit.html", session, r=say_records, texts=catalog().texts,
                visit=stored, client_name=stored.case.get("client", {}).get("name"),
                audience=_audience_or_404(report))


def _report(request: Request, session: WebSession, assessment_id: str, audience: str,
            fmt: str) -> tuple[StoredAssessment, str | bytes]:
    from tripod import service

    stored = _stored(request, session, assessment_id, "export" if fmt == "pdf" else "view")
    with acting(session):
        screening = service.stored_screening(store_of(request), stored,
                                             judge=audience == "practitioner")
    formats = service.report_formats((fmt,))
    details = service.clinic(request.app.state.settings.clinic)
    return stored, service.reports(screening, audience, formats, details)[formats[0]]


@router.get("/visits/{assessment_id}/report/{audience}.html")
def report_html(assessment_id: str, audience: str, request: Request,
                session: Signed) -> Response:
    _, html = _report(request, session, assessment_id, _audience_or_404(audience), "html")
    return HTMLResponse(str(html), headers={"content-security-policy": REPORT_CSP,
                                            "x-frame-options": "SAMEORIGIN"})


@router.get("/visits/{assessment_id}/report/{audience}.pdf")
def report_pdf(assessment_id: str, audience: str, request: Request,
               session: Signed) -> Response:
    from tripod import service

    stored, pdf = _report(request, session, assessment_id, _audience_or_404(audience), "pdf")
    name = service.report_name(stored.client_id, str(stored.assessed_on), audience, "pdf",
                               stored.version)
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
