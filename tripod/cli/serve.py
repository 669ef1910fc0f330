"""``tripod serve``: the clinic's web front end (``tripod/web/``)."""

from pathlib import Path
from typing import Annotated

import typer

from tripod.cli.common import DbOption, reported
from tripod.web.settings import IDLE_MINUTES


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; another than 127.0.0.1, ::1 or "
                                      "localhost needs TLS or --behind-proxy.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).",
                                                  show_default=False)] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).",
                                                 show_default=False)] = None,
    behind_proxy: Annotated[bool, typer.Option(
        "--behind-proxy", help="A TLS proxy on this machine serves the clients: cookies are "
        "Secure and its forwarded address is the client's.")] = False,
    idle_minutes: Annotated[int, typer.Option(
        min=1, max=720, help="A session ends after this long unused.")] = IDLE_MINUTES,
    db: DbOption = None,
) -> None:
    """Serve the web intake and the JSON API for a clinic's tablets and scripts."""
    from tripod.web.server import serve as run
    from tripod.web.settings import WebSettings

    with reported():
        run(WebSettings(db=db, tls=tls_cert is not None, behind_proxy=behind_proxy,
                        idle_minutes=idle_minutes), host, port, tls_cert, tls_key)
