"""Binding RTP sockets: non-blocking UDP, an even port when the port is free to choose.

RTP traditionally uses an even port (RTCP the odd one above it). With port 0
the kernel picks any free port, so odd picks are kept bound while retrying (so
the next bind cannot return them again) and released at the end.
"""

from __future__ import annotations

import socket

_EVEN_PORT_TRIES = 16


def bind_rtp_socket(host: str, port: int) -> socket.socket:
    """Bind a UDP socket; with port 0, prefer an even port (RTP convention)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    spares: list[socket.socket] = []
    try:
        for _ in range(_EVEN_PORT_TRIES if port == 0 else 1):
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.bind((host, port))
            if port != 0 or sock.getsockname()[1] % 2 == 0:
                return sock
            spares.append(sock)  # keep it bound so the next bind gets another port
        return spares.pop()
    finally:
        for spare in spares:
            spare.close()
