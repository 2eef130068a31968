"""kit/fds.py: a media process grows its descriptor table once at start (Linux's
`FDSize` in /proc/self/status), raises its soft limit, and never touches a
descriptor that is open."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, resource, sys
from ringcast.kit.fds import prepare_fds

def fd_size():
    for line in open("/proc/self/status"):
        if line.startswith("FDSize:"):
            return int(line.split()[1])

resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
before = fd_size()
got = prepare_fds(int(sys.argv[1]))
print(before, got, fd_size(), resource.getrlimit(resource.RLIMIT_NOFILE)[0], len(os.listdir("/proc/self/fd")))
"""


def run(needed: int) -> list[int]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(needed)], capture_output=True, text=True, check=True
    ).stdout
    return [int(x) for x in out.split()]


def test_the_table_is_grown_once_to_what_the_process_will_need() -> None:
    before, got, after, soft, open_fds = run(3256)
    assert before < 3256  # a fresh interpreter's table is small (64 or 128)
    assert got == 3256
    assert after >= 3256
    assert soft >= 3256  # the soft limit (set to 256 here) was raised
    assert open_fds < 10  # nothing left open


def test_an_open_descriptor_is_never_replaced() -> None:
    script = """
import os
from ringcast.kit.fds import prepare_fds
r, w = os.pipe()
os.dup2(w, 499)
prepare_fds(500)
os.write(499, b"still the pipe")
print(os.read(r, 100).decode())
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "still the pipe"
