"""How the workers of ``gpequity serve`` speak HTTP: uvicorn's h11 protocol, with Nagle's
algorithm turned off on every connection.

With several workers, uvicorn binds the listening socket itself (``socket.socket(AF_INET)``,
protocol number 0), and asyncio turns ``TCP_NODELAY`` on only for sockets whose protocol is
TCP's number: so the connections of ``--workers 2`` kept Nagle's algorithm, and every answer
after the first on a kept-alive connection waited for the reader's delayed acknowledgement,
about 40 ms (``/healthz`` took 44 ms instead of 2; issue 12). One worker binds by address and
did not have the delay.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

#: The protocol class as uvicorn takes it by name (``uvicorn.run(..., http=HTTP_PROTOCOL)``).
HTTP_PROTOCOL = "gpequity.web.server:HttpProtocol"


def no_delay(sock: Any) -> None:
    """Send what is written at once on a TCP connection (no-op for other sockets)."""
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class HttpProtocol(H11Protocol):
    """uvicorn's h11 protocol, each connection without Nagle's algorithm."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport.get_extra_info("socket"))
        super().connection_made(transport)
