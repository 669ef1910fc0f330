"""PDF reports: the HTML of ``reports/render.py`` laid out on A4 by WeasyPrint, and written safely.

WeasyPrint is imported inside the functions that use it: it loads Pango and its fonts, which costs
more than the rest of ``tripod`` together, and only the ``report`` command needs it. The reports are
self-contained (inline CSS and SVG, the clinic's logo as a ``data:`` URI), so WeasyPrint never
fetches anything: its URL fetcher takes ``data:`` URIs, which hold their content, and refuses every
other URL (http, https, ftp, file...), which also keeps a crafted case file from making it read
local files.

WeasyPrint's log is not for the clinician. experta calls ``logging.basicConfig()`` when it is
imported, so every library's warning would reach stderr as ``WARNING:weasyprint:...``; the
``weasyprint`` logger therefore stops at its own handlers (tests attach theirs there). One of its
warnings is expected on a machine without the HarfBuzz subsetting library (Debian's
``libharfbuzz-subset0``): WeasyPrint then embeds fonts through fontTools, which is slower but gives
the same report. ``fonts_embedded_slowly()`` tells the command so it can say it once, in its words.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from engine.intake import Case
    from engine.trace import Assessment


# The start of WeasyPrint's warning when it subsets fonts with fontTools (WeasyPrint 61 to 70).
FONT_FALLBACK = "Using fontTools instead of HarfBuzz-Subset"
_slow_fonts = False


def is_font_fallback(record: logging.LogRecord) -> bool:
    """Whether a WeasyPrint log record is its documented fontTools fallback (a speed note)."""
    return record.name == "weasyprint" and str(record.msg).startswith(FONT_FALLBACK)


def _note_fallback(record: logging.LogRecord) -> bool:
    global _slow_fonts
    _slow_fonts = _slow_fonts or is_font_fallback(record)
    return True


def fonts_embedded_slowly() -> bool:
    """Whether a PDF of this process had its fonts subset by fontTools (no HarfBuzz subsetting)."""
    return _slow_fonts


def _weasyprint() -> Any:
    import weasyprint

    log = logging.getLogger("weasyprint")
    if log.propagate:
        log.propagate = False
        log.addFilter(_note_fallback)
    return weasyprint


# The one kind of URL a report may hold: a data: URI carries its content, so nothing is fetched.
LOCAL_PROTOCOLS = ("data",)


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"reports are self-contained; refused to fetch {url[:40]!r}")


def _local_only(url: str, *args: Any, **kwargs: Any) -> Any:
    from weasyprint import urls

    if url.lower().startswith("data:"):
        return urls.default_url_fetcher(url, *args, **kwargs)
    _refuse(url)


def local_fetcher() -> Any:
    """A WeasyPrint URL fetcher that fetches nothing: ``data:`` URIs are read in place, every other
    URL is refused (ValueError): a report never links outside itself."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 68 and later take a fetcher object
        return urls.URLFetcher(allowed_protocols=LOCAL_PROTOCOLS)
    return _local_only


@cache
def _stylesheet() -> tuple[str, Any]:
    """The reports' stylesheet as they inline it, and as WeasyPrint parsed it."""
    from reports.render import stylesheet

    text = stylesheet()
    return text, _weasyprint().CSS(string=text, url_fetcher=local_fetcher(), base_url=None)


@cache
def _fonts() -> Any:
    """One WeasyPrint font configuration for every PDF of the process: the fonts Pango found and
    shaped for one report serve the next (a new one per report costs it about 40 ms)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str) -> bytes:
    """Lay out a self-contained HTML report as PDF bytes.

    The reports' own stylesheet, inlined in the HTML, is parsed once per process instead of once
    per report (about 20 ms of each): taken out of the HTML and handed to WeasyPrint already
    parsed. It then counts as the user's stylesheet rather than the author's, which changes
    nothing here: the only author rules left are the footer's words, which it does not set, and
    the reports carry no inline styles.
    """
    weasyprint = _weasyprint()
    css, parsed = _stylesheet()
    sheets = []
    if css and css in html:
        html = html.replace(css, "", 1)
        sheets.append(parsed)
    document = weasyprint.HTML(string=html, url_fetcher=local_fetcher(), base_url=None)
    return document.write_pdf(  # type: ignore[no-any-return]
        stylesheets=sheets, font_config=_fonts())


def render_pdf(assessment: Assessment, case: Case, audience: str, solidity: Any = None) -> bytes:
    """The PDF report of one assessment for ``audience`` (practitioner or client); ``solidity`` as
    for ``render_report``."""
    from reports.render import render_report

    return html_to_pdf(render_report(assessment, case, audience, solidity))
