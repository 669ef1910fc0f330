"""``tripod serve``: what is checked before the server listens, and uvicorn run with Tripod's own
logging (one line per request naming the route's pattern; no access log of paths, queries or
addresses, no traceback).

It listens on 127.0.0.1 unless told otherwise; any other address needs TLS (``--tls-cert`` and
``--tls-key``) or ``--behind-proxy`` (a TLS proxy in front, on this machine). The store must have
accounts: every page and API route but the login needs one.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from engine.errors import InputError, Problem, show_value
from tripod.web.settings import WebSettings

WHERE = "serve"


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked(host: str, tls_cert: Path | None, tls_key: Path | None,
            behind_proxy: bool) -> list[Problem]:
    """What is wrong with how the server is asked to listen (empty: nothing)."""
    found: list[Problem] = []
    if (tls_cert is None) != (tls_key is None):
        given = "--tls-cert" if tls_cert is not None else "--tls-key"
        found.append(Problem(WHERE, given, "(given alone)",
                             "allowed --tls-cert and --tls-key together"))
    for option, path in (("--tls-cert", tls_cert), ("--tls-key", tls_key)):
        if path is not None and not path.is_file():
            found.append(Problem(WHERE, option, show_value(str(path)),
                                 "no such file; allowed a PEM file"))
    if not loopback(host) and tls_cert is None and not behind_proxy:
        found.append(Problem(WHERE, "--host", show_value(host),
                             "allowed 127.0.0.1, ::1 or localhost without TLS; another address "
                             "needs --tls-cert and --tls-key, or --behind-proxy"))
    return found


def log_config() -> dict[str, Any]:
    """uvicorn's and Tripod's loggers: its start and stop lines and Tripod's request lines on
    stderr; uvicorn's access log off."""
    plain = {"format": "%(asctime)s %(levelname)s %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "plain",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": plain}, "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "tripod.web": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


def serve(settings: WebSettings, host: str, port: int, tls_cert: Path | None,
          tls_key: Path | None) -> None:
    """Check, make the application (opening the store), then serve until Ctrl-C or SIGTERM."""
    import uvicorn

    problems = checked(host, tls_cert, tls_key, settings.behind_proxy)
    if problems:
        raise InputError(problems)
    from tripod.web.app import create_app

    app = create_app(settings)
    store = app.state.store
    if not store.has_users():
        store.close()
        raise InputError([Problem(WHERE, "--db", show_value(store.where),
                                  "has no accounts; allowed a store with accounts (tripod users "
                                  "add NAME --role admin)")])
    uvicorn.run(app, host=host, port=port, ssl_certfile=tls_cert, ssl_keyfile=tls_key,
                access_log=False, server_header=False, date_header=False,
                proxy_headers=settings.behind_proxy, log_config=log_config(),
                timeout_graceful_shutdown=5)
