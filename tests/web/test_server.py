"""The workers of ``gpequity serve`` answer without Nagle's delay: a listening socket bound as
uvicorn binds it for several workers (protocol number 0, for which asyncio leaves Nagle's
algorithm on) gives connections with ``TCP_NODELAY`` through :class:`HttpProtocol`, and not
through uvicorn's own h11 protocol."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from gpequity.web.server import HttpProtocol


async def app(scope: object, receive: object, send: object) -> None:  # never called here
    raise AssertionError


async def no_delay_of_a_connection(protocol: type[H11Protocol]) -> int:
    """TCP_NODELAY of the server's side of one connection to a socket bound as uvicorn's."""
    listening = socket.socket(family=socket.AF_INET)  # as uvicorn.Config.bind_socket does
    listening.bind(("127.0.0.1", 0))
    assert listening.proto == 0
    config = Config(app, lifespan="off")
    config.load()
    state = ServerState()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: protocol(config=config, server_state=state, app_state={}), sock=listening
    )
    try:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        for _ in range(100):
            if state.connections:
                break
            await asyncio.sleep(0.01)
        (connection,) = state.connections
        sock = connection.transport.get_extra_info("socket")
        value = int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()
        return value
    finally:
        server.close()


@pytest.mark.parametrize(("protocol", "expected"), [(H11Protocol, 0), (HttpProtocol, 1)])
def test_the_served_connections_send_at_once(protocol: type[H11Protocol], expected: int) -> None:
    # In a thread of its own: a test before this one (Playwright's sync API) may leave an event
    # loop running in the main thread, where asyncio.run refuses to start another.
    with ThreadPoolExecutor(max_workers=1) as thread:
        value = thread.submit(lambda: asyncio.run(no_delay_of_a_connection(protocol))).result()
    assert value == expected
