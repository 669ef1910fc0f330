"""PDF reports: the HTML of ``reports/render.py`` laid out on A4 by WeasyPrint, and written safely.

WeasyPrint is imported inside the functions that use it: it loads Pango and its fonts, which costs
more than the rest of ``tripod`` together, and only the ``report`` command needs it. The reports are
self-contained (inline CSS and SVG), so WeasyPrint never fetches anything: its URL fetcher refuses
every URL, which also keeps a crafted case file from making it read local files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from engine.intake import Case
    from engine.trace import Assessment


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"reports are self-contained; refused to fetch {url[:40]!r}")


def _no_fetcher() -> Any:
    """A WeasyPrint URL fetcher that fetches nothing: a report never links outside itself."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 68 and later take a fetcher object
        return urls.URLFetcher(allowed_protocols=())
    return _refuse


def html_to_pdf(html: str) -> bytes:
    """Lay out a self-contained HTML report as PDF bytes."""
    import weasyprint

    document = weasyprint.HTML(string=html, url_fetcher=_no_fetcher(), base_url=None)
    return document.write_pdf()  # type: ignore[no-any-return]


def render_pdf(assessment: Assessment, case: Case, audience: str, solidity: Any = None) -> bytes:
    """The PDF report of one assessment for ``audience`` (practitioner or client); ``solidity`` as
    for ``render_report``."""
    from reports.render import render_report

    return html_to_pdf(render_report(assessment, case, audience, solidity))
