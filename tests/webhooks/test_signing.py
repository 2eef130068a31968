"""The signature: ringcast's header, checked by the README's 5-line recipe."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ringcast.webhooks import signing

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verify() -> Any:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Webhooks", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return namespace["verify"]


def test_the_readme_recipe_accepts_our_signature_and_nothing_else():
    verify = readme_verify()
    secret = signing.new_secret()
    body = b'{"id":"e1","type":"webhook.test","data":{"x":"\xc3\xa9"}}'
    now = int(time.time())
    header = signing.header(secret, now, body)
    assert verify(secret, header, body)
    assert signing.verify(secret, header, body, now=time.time())
    assert not verify(secret, header, body + b" ")
    assert not verify(signing.new_secret(), header, body)
    stale = signing.header(secret, now - 3600, body)
    assert not verify(secret, stale, body)
    assert not signing.verify(secret, stale, body, now=time.time())
    assert not signing.verify(secret, "garbage", body, now=time.time())


def test_header_shape():
    value = signing.header("whsec_x", 1700000000, b"{}")
    t, v1 = value.split(",")
    assert t == "t=1700000000" and v1.startswith("v1=") and len(v1) == 3 + 64
