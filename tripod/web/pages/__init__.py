"""The pages of ``tripod serve`` beyond the login: each module one part of the clinic's work, its
routes on one router."""

from __future__ import annotations

from fastapi import FastAPI


def include(app: FastAPI) -> None:
    """Put every page module's routes on ``app``."""
    from tripod.web.pages import clients, intake, intake_review, visits

    app.include_router(clients.router)
    app.include_router(visits.router)
    app.include_router(intake.router)
    app.include_router(intake_review.router)
