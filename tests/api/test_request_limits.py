"""Request limits (issue 21): JSON depth and value count, chunked bodies past the
limit, capped error bodies, a NUL failing only its upsert row, the CSV header
cap, spreadsheet-safe CSV, and heavy bodies kept off the event loop."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from ringcast.kit.json_body import MAX_DEPTH, BodyScan
from ringcast.settings import Settings


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


async def test_json_nested_800_deep_is_a_400(api):
    for body in (
        {"data": [{"primaryPhone": "+33612345678", "customAttributes": _nested(800)}]},
        {"data": [_nested(800)]},
    ):
        text = json.dumps(body)  # the stdlib writes it; reading it back recursed before
        r = await api.client.post(
            "/api/contact/upsert",
            content=text,
            headers={**api.acme.headers(), "content-type": "application/json"},
        )
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "JSON_TOO_DEEP"
        assert str(MAX_DEPTH) in r.json()["message"]


async def test_json_within_the_depth_limit_still_reaches_validation(api):
    body = {"primaryPhone": "+33612345678", "customAttributes": {"x": _nested(150)}}
    r = await api.client.post("/api/contact", json=body, headers=api.acme.headers())
    assert r.status_code == 400
    assert r.json()["code"] == "VALIDATION_FAILED"


async def test_too_many_json_values_is_413_before_parsing(api):
    body = b'{"data": [' + b"0," * 1_100_000 + b"0]}"
    r = await api.client.post(
        "/api/contact/upsert",
        content=body,
        headers={**api.acme.headers(), "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["code"] == "JSON_TOO_MANY_VALUES"


async def test_chunked_body_over_the_limit_is_413(api):
    api.app.state.ringcast.settings.max_upload_bytes = 1000

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "x", "prefix": "'
        for _ in range(10):
            yield b"a" * 200
        yield b'"}'

    for path in ("/api/auth/api-keys", "/api/contact/upsert"):
        r = await api.client.post(
            path,
            content=chunks(),
            headers={**api.acme.headers(), "content-type": "application/json"},
        )
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_error_bodies_list_the_first_100_field_errors_and_count_the_rest(api):
    body = {"primaryPhone": "+33612345678", **{f"extra{i}": 1 for i in range(500)}}
    r = await api.client.post("/api/contact", json=body, headers=api.acme.headers())
    assert r.status_code == 400
    errors = r.json()["fieldErrors"]
    assert len(errors) == 101
    assert errors["(more)"] == ["400 more problems not listed"]
    assert r.json()["fieldDetails"]["(more)"][0]["params"] == {"count": 400}


async def test_an_upsert_row_with_many_unknown_keys_answers_small(api):
    row = {"primaryPhone": "+33612345678", "customAttributes": {f"k{i}": 1 for i in range(20_000)}}
    r = await api.client.post(
        "/api/contact/upsert", json={"data": [row]}, headers=api.acme.headers()
    )
    assert r.status_code == 200
    failed = r.json()["failed"][0]
    assert len(failed["fieldErrors"]) == 21
    assert len(r.content) < 50_000


async def test_a_nul_fails_its_upsert_row_only(api):
    rows = [
        {"primaryPhone": "+33612345678", "firstName": "Ann"},
        {"primaryPhone": "+33612345679", "firstName": "B\x00b"},
        {"primaryPhone": "+33612345680", "channels": ["sms\x00"]},
        {"primaryPhone": "+33612345681", "lastName": "Lee"},
    ]
    r = await api.client.post(
        "/api/contact/upsert", json={"data": rows}, headers=api.acme.headers()
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 2
    assert [f["index"] for f in body["failed"]] == [1, 2]
    assert "NUL" in body["failed"][0]["fieldErrors"]["firstName"][0]
    assert "channels" in body["failed"][1]["fieldErrors"]
    # outside per-row data a NUL is still the whole body's 400
    r = await api.client.post(
        "/api/contact",
        json={"primaryPhone": "+33612345682", "city": "x\x00"},
        headers=api.acme.headers(),
    )
    assert r.status_code == 400
    assert "city" in r.json()["fieldErrors"]


async def test_a_400k_column_csv_header_is_a_small_clear_400(api):
    header = ",".join(["a"] * 400_000).encode() + b"\n+33612345678\n"
    r = await api.client.post(
        "/api/contact/import",
        files={"file": ("wide.csv", header, "text/csv")},
        headers=api.acme.headers(),
    )
    assert r.status_code == 400
    assert r.json()["code"] == "IMPORT_TOO_MANY_COLUMNS"
    assert "400000 columns" in r.json()["message"]
    assert len(r.content) < 2000


def test_the_nul_scan_sees_an_escape_split_across_chunks():
    for cut in range(1, 6):
        scan = BodyScan()
        text = b'{"a": "x\\u0000"}'
        at = text.index(b"\\") + cut
        scan.feed(text[:at])
        scan.feed(text[at:])
        assert not scan.nul_free and scan.body() == text
    scan = BodyScan()
    for byte in b'{"a": "\\u00 00"}':
        scan.feed(bytes([byte]))
    assert scan.nul_free


def test_call_report_export_cells_are_spreadsheet_safe():
    from ringcast.calls.export import _line

    line = _line(["=cmd|' /C calc'!A0", "+33612345678", "@x", None, 3])
    assert next(csv.reader(io.StringIO(line))) == [
        "'=cmd|' /C calc'!A0",
        "+33612345678",
        "'@x",
        "",
        "3",
    ]


async def test_rejected_rows_file_escapes_formulas(api):
    text = "primaryPhone,firstName\n=cmd|' /C calc'!A0,@SUM(A1)\n+33612345678,Ann\n"
    r = await api.client.post(
        "/api/contact/import",
        files={"file": ("evil.csv", text.encode(), "text/csv")},
        headers=api.acme.headers(),
    )
    assert r.status_code == 202, r.text
    import_id = r.json()["id"]
    from ringcast.contacts.import_jobs import jobs_for

    await jobs_for(api.app.state.ringcast).wait(import_id)
    r = await api.client.get(
        f"/api/contact/import/{import_id}/rejected", headers=api.acme.headers()
    )
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[1][1:3] == ["'=cmd|' /C calc'!A0", "'@SUM(A1)"]


# --- heavy bodies on a real server -------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(api, settings: Settings, db_url: str) -> Iterator[str]:
    """The app under uvicorn in its own process, on the test's database."""
    port = _free_port()
    code = (
        "import uvicorn, sys\n"
        "from ringcast.api.app import create_app\n"
        "from ringcast.settings import Settings\n"
        "s = Settings.model_validate_json(sys.argv[1])\n"
        f"uvicorn.run(create_app(s, migrate=False), host='127.0.0.1', port={port},"
        " log_level='warning')\n"
    )
    dumped = json.dumps(
        {
            "data_dir": str(settings.data_dir),
            "database_url": db_url,
            "rate_limit_per_second": 1000,
            "rate_limit_burst": 1000,
        }
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code, dumped], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("uvicorn did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _health_during(url: str, request: threading.Thread) -> float:
    """The slowest /health answer while `request` runs."""
    worst = 0.0
    request.start()
    with httpx.Client(timeout=30) as client:
        while request.is_alive():
            started = time.perf_counter()
            assert client.get(f"{url}/health").status_code == 200
            worst = max(worst, time.perf_counter() - started)
            time.sleep(0.05)
    request.join()
    return worst


@pytest.mark.parametrize("shape", ["rows", "values"])
def test_a_44_mb_upsert_does_not_delay_health(api, server: str, shape: str, tmp_path: Path):
    if shape == "rows":  # 1000 rows, each with a 43 kB text and a hundred keys
        row = {
            "primaryPhone": "+33612345678",
            "address": "x" * 42_000,
            "customAttributes": {f"k{i}": "v" for i in range(100)},
        }
        body = json.dumps({"data": [row] * 1000}).encode()
    else:  # 22 million tiny values
        body = b'{"data": [' + b"0," * 22_000_000 + b"0]}"
    assert len(body) > 40_000_000
    answer: list[httpx.Response] = []
    headers = {**api.acme.headers(), "content-type": "application/json"}

    def upsert() -> None:
        with httpx.Client(timeout=120) as client:
            answer.append(
                client.post(f"{server}/api/contact/upsert", content=body, headers=headers)
            )

    worst = _health_during(server, threading.Thread(target=upsert))
    assert answer and answer[0].status_code in (200, 413), answer[0].text
    if shape == "rows":
        assert answer[0].status_code == 200 and len(answer[0].json()["failed"]) == 1000
    assert worst < 1.0, f"/health took {worst:.2f} s during the upsert"
