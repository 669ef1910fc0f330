"""``tripod serve``: what is checked before the server listens, and uvicorn run with Tripod's own
logging (one line per request naming the route's pattern; no access log of paths, queries or
addresses, no traceback).

It listens on 127.0.0.1 unless told otherwise; any other address needs TLS (``--tls-cert`` and
``--tls-key``) or ``--behind-proxy`` (a TLS proxy in front, on this machine). The store must have
accounts: every page and API route but the login needs one.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from engine.errors import InputError, Problem, show_value
from tripod.web.settings import WebSettings
from tripod.web.views import say

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
    """uvicorn's and Tripod's loggers on stderr: Tripod's own lines (serving, a request's route,
    a failure's type), uvicorn's warnings and errors only (its start lines are Tripod's own here);
    uvicorn's access log off."""
    plain = {"format": "%(asctime)s %(levelname)s %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "plain",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": plain}, "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
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
    listening = bound(host, port)
    config = uvicorn.Config(app, ssl_certfile=tls_cert, ssl_keyfile=tls_key, access_log=False,
                            server_header=False, date_header=False,
                            proxy_headers=settings.behind_proxy, log_config=log_config(),
                            timeout_graceful_shutdown=5)
    scheme = "https" if tls_cert is not None else "http"
    shown = f"[{host}]" if ":" in host else host
    print(say("serving", where=store.where, url=f"{scheme}://{shown}:{port}"), file=sys.stderr)
    # uvicorn shuts down on SIGINT (Ctrl-C) and SIGTERM (a service manager), then raises the
    # signal again for the handler it found: here both end in the line that says it stopped.
    before = signal.signal(signal.SIGTERM, _stopped_by_signal)
    try:
        uvicorn.Server(config).run(sockets=[listening])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, before)
        listening.close()
    print(say("stopped"), file=sys.stderr)


def _stopped_by_signal(number: int, frame: object) -> None:
    raise KeyboardInterrupt


def bound(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (handed to uvicorn), or a problem line naming the
    option and why the system refused it."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)[0]
        made = socket.socket(family, kind, proto)
    except OSError as exc:
        raise InputError([Problem(WHERE, "--host", show_value(host),
                                  f"cannot be used ({exc.strerror or type(exc).__name__}); "
                                  "allowed an address of this machine")]) from None
    try:
        made.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        made.bind(address)
        made.listen(128)
    except OSError as exc:
        made.close()
        raise InputError([Problem(WHERE, "--port", str(port),
                                  f"cannot listen on {host} ({exc.strerror or type(exc).__name__}); "
                                  "allowed a free port")]) from None
    made.set_inheritable(True)
    return made
