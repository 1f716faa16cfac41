"""`inbox-worker web`: the console of PRODUCT.md section 6a, served by uvicorn on [web]
listen until SIGTERM or SIGINT (which let the requests in hand finish)."""

from __future__ import annotations

import argparse
import logging
import re
import signal
import socket
from types import FrameType
from typing import TYPE_CHECKING

from inbox_worker.errors import ConfigError

if TYPE_CHECKING:
    from inbox_worker.app import App

log = logging.getLogger("inbox_worker.web")
SECRET_PATH = re.compile(r"/sign-in/[^/?\s]+")


def add_web_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("web", help="serve the web console ([web] listen)")


def cmd_web(app: App, _args: argparse.Namespace) -> int:
    import uvicorn

    from inbox_worker.web.app import make_console

    settings = app.settings.web
    host, port = settings.listen
    listener = _listen(host, port)
    # X-Forwarded-For names the client only when it comes from a proxy we were told of:
    # anyone else could name any client, and so escape the per-client rate limit.
    config = uvicorn.Config(make_console(app), log_level="info", server_header=False,
                            proxy_headers=bool(settings.trusted_proxies),
                            forwarded_allow_ips=list(settings.trusted_proxies) or None,
                            log_config=None)
    logging.getLogger("uvicorn.access").addFilter(HideSignInSecrets())
    log.info("web console listen=%s:%d base_url=%s", host, port, settings.base_url)
    # uvicorn stops on SIGTERM/SIGINT after the requests in hand, then raises the signal
    # again under the handlers it found: these make that a plain exit 0, not a death.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, _stopped)
    uvicorn.Server(config).run(sockets=[listener])
    log.info("web console stopped")
    return 0


class HideSignInSecrets(logging.Filter):
    """The access log names each path; a sign-in link's path is a key (for 15 minutes),
    which has no place in a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(SECRET_PATH.sub("/sign-in/(hidden)", a) if isinstance(a, str)
                                else a for a in record.args)
        return True


def _stopped(_number: int, _frame: FrameType | None) -> None:
    """The signal a stopped uvicorn raises again: it has done its work."""


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, opened here: a port in use is a configuration error with a
    clear line, not a server's traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        raise ConfigError(f"[web] listen = '{host}:{port}': cannot listen there: "
                          f"{exc.strerror or exc}") from exc
    listener.set_inheritable(True)
    return listener
