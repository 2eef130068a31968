"""CSV import: HTTP (background, polled) and CLI; bad rows, BOM, `;`, header errors."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from typer.testing import CliRunner

from ringcast.cli.main import app as cli
from ringcast.contacts.csv_import import row_to_raw, sniff_delimiter
from ringcast.settings import get_settings

GOOD_AND_BAD = (
    "primaryPhone,firstName,gender,customAttributes.score,channels\n"
    "+212612345671,Amina,female,12,sms|voice\n"
    "06-12-34-56-78,Bad,male,1,\n"
    "+212612345672,Omar,robot,2,\n"
    "+212612345673,Sara,,high,\n"
    '"+14155551234","Smith, John",male,,\n'
    "+212612345671,Amina again,,13,\n"
    "\n"
    "+212612345674,Too,many,1,,extra\n"
)


async def make_score(api, tenant=None):
    tenant = tenant or api.acme
    r = await api.client.post(
        "/api/custom-attributes",
        json={"displayName": "Score", "type": "number"},
        headers=tenant.headers(),
    )
    assert r.status_code == 201


async def upload(api, content: bytes, tenant=None, **form):
    tenant = tenant or api.acme
    return await api.client.post(
        "/api/contact/import",
        files={"file": ("people.csv", content, "text/csv")},
        data=form,
        headers=tenant.headers("manager"),
    )


async def poll(api, import_id, tenant=None):
    tenant = tenant or api.acme
    for _ in range(500):
        r = await api.client.get(f"/api/contact/import/{import_id}", headers=tenant.headers())
        assert r.status_code == 200
        if r.json()["status"] in ("completed", "failed"):
            return r.json()
        await asyncio.sleep(0.01)
    raise AssertionError("import did not finish")


async def contacts(api, tenant=None, **params):
    tenant = tenant or api.acme
    r = await api.client.get(
        "/api/contact", params={"limit": 100, **params}, headers=tenant.headers()
    )
    return r.json()["data"]


async def test_http_import_with_bad_rows(api):
    await make_score(api)
    audience = (
        await api.client.post(
            "/api/audience", json={"name": "Imported"}, headers=api.acme.headers()
        )
    ).json()
    r = await upload(api, GOOD_AND_BAD.encode(), audienceId=audience["id"])
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending"
    done = await poll(api, r.json()["id"])
    assert done["status"] == "completed", done
    assert done["processedRows"] == 7
    assert (done["createdCount"], done["updatedCount"], done["failedCount"]) == (2, 0, 4)
    assert [e["line"] for e in done["errors"]] == [3, 4, 5, 9]
    assert "primaryPhone" in done["errors"][0]["fieldErrors"]
    stored = {c["primaryPhone"]: c for c in await contacts(api)}
    assert set(stored) == {"+212612345671", "+14155551234"}
    amina = stored["+212612345671"]
    assert amina["firstName"] == "Amina again"  # last row of the phone wins
    assert amina["customAttributes"] == {"score": 13}
    assert amina["channels"] is None  # the superseded row is dropped whole
    assert stored["+14155551234"]["firstName"] == "Smith, John"
    r = await api.client.get(f"/api/audience/{audience['id']}", headers=api.acme.headers())
    assert r.json()["contactCount"] == 2

    r = await api.client.get(
        f"/api/contact/import/{done['id']}/rejected", headers=api.acme.headers()
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["line", "primaryPhone", "firstName", "gender", "customAttributes.score",
                       "channels", "errors"]  # fmt: skip
    assert [row[0] for row in rows[1:]] == ["3", "4", "5", "9"]
    assert "E.164" in rows[1][-1]
    assert "gender" in rows[2][-1]
    assert "score" in rows[3][-1]
    assert "cells" in rows[4][-1]


@pytest.mark.parametrize(
    "encoded",
    [
        ("\ufeffprimaryPhone;firstName\n+212612345671;Amina\n+14155551234;Bob\n").encode(),
        b"primaryPhone;firstName\r\n+212612345671;Amina\r\n+14155551234;Bob\r\n",
        b"\xef\xbb\xbfprimaryPhone,firstName\n+212612345671,Amina\n+14155551234,Bob",
    ],
    ids=["bom-semicolon", "crlf-semicolon", "bom-comma-no-final-newline"],
)
async def test_bom_and_separators(api, encoded):
    r = await upload(api, encoded)
    assert r.status_code == 202, r.text
    done = await poll(api, r.json()["id"])
    assert (done["status"], done["createdCount"], done["failedCount"]) == ("completed", 2, 0)
    assert {c["firstName"] for c in await contacts(api)} == {"Amina", "Bob"}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"phone,firstName\n+212612345671,A\n", "IMPORT_BAD_HEADER"),
        (b"primaryPhone,customAttributes.nope\n+212612345671,1\n", "IMPORT_BAD_HEADER"),
        (b"", "IMPORT_EMPTY_FILE"),
        (b"primaryPhone\n\xff\xfe\n", "IMPORT_NOT_UTF8"),
    ],
)
async def test_bad_files_are_400_and_write_nothing(api, content, code):
    r = await upload(api, content)
    if code == "IMPORT_NOT_UTF8" and r.status_code == 202:
        # the header decodes; the bad bytes are found by the job
        done = await poll(api, r.json()["id"])
        assert done["status"] == "failed" and "UTF-8" in done["error"]
    else:
        assert r.status_code == 400, r.text
        assert r.json()["code"] == code
    assert await contacts(api) == []


async def test_import_isolation(api):
    r = await upload(api, b"primaryPhone\n+212612345671\n")
    done = await poll(api, r.json()["id"])
    h = api.globex.headers()
    assert (await api.client.get(f"/api/contact/import/{done['id']}", headers=h)).status_code == 404
    r = await api.client.get(f"/api/contact/import/{done['id']}/rejected", headers=h)
    assert r.status_code == 404
    assert await contacts(api, api.globex) == []
    # an audience of another organization cannot be the target
    other = (await api.client.post("/api/audience", json={"name": "G"}, headers=h)).json()
    r = await upload(api, b"primaryPhone\n+212612345672\n", audienceId=other["id"])
    assert r.status_code == 404 and r.json()["code"] == "AUDIENCE_NOT_FOUND"


async def test_cli_import_with_bad_rows(api, db_url, tmp_path, monkeypatch):
    await make_score(api)
    audience = (
        await api.client.post("/api/audience", json={"name": "CLI"}, headers=api.acme.headers())
    ).json()
    path = tmp_path / "people.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    monkeypatch.setenv("RINGCAST_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("RINGCAST_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            ["contacts", "import", str(path), "--org", "acme", "--audience", audience["id"]],
        )
        assert result.exit_code == 0, result.output
        assert "2 created" in result.output and "4 rejected" in result.output
        rejected = list(csv.reader((tmp_path / "people.rejected.csv").open()))
        assert [row[0] for row in rejected[1:]] == ["3", "4", "5", "9"]
        bad = tmp_path / "bad.csv"
        bad.write_text("nope\n1\n")
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, ["contacts", "import", str(bad), "--org", "acme"]
        )
        assert result.exit_code == 1 and "Unknown column 'nope'" in result.output
    finally:
        get_settings.cache_clear()
    assert {c["primaryPhone"] for c in await contacts(api)} == {"+212612345671", "+14155551234"}
    r = await api.client.get(f"/api/audience/{audience['id']}", headers=api.acme.headers())
    assert r.json()["contactCount"] == 2


def test_sniff_and_row_mapping():
    assert sniff_delimiter('primaryPhone;"a,b";c') == ";"
    assert sniff_delimiter("primaryPhone,firstName") == ","
    assert sniff_delimiter("primaryPhone") == ","
    raw = row_to_raw(
        ["primaryPhone", "firstName", "customAttributes.x", "channels"],
        ["+1", "", "5", "a| b |"],
    )
    assert raw == {"primaryPhone": "+1", "customAttributes": {"x": "5"}, "channels": ["a", "b"]}


async def import_small_file(api, tmp_path, **options):
    """12 lines (9 new phones, 2 repeated, 1 bad) in chunks of 2; returns the
    totals and the rows processed each time the commit hook ran."""
    from ringcast.contacts.csv_import import import_csv

    lines = ["primaryPhone;firstName"]
    lines += [f"+2126123456{i:02d};n{i}" for i in range(9)]
    lines += ["+212612345600;again", "bad;x", "+212612345601;again"]
    path = tmp_path / "small.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[int] = []

    async def on_chunk(_session, totals):
        seen.append(totals.processed)

    totals = await import_csv(
        api.app.state.ringcast.sessions,
        api.acme.organization_id,
        path,
        rejected_path=tmp_path / "rejected.csv",
        on_chunk=on_chunk,
        chunk_rows=2,
        **options,
    )
    return totals, seen


async def test_many_small_chunks_keep_file_order(api, tmp_path):
    """Chunks are checked ahead but committed in order: a phone repeated in a
    later chunk is an update, and line numbers stay file-wide."""
    totals, seen = await import_small_file(api, tmp_path)
    assert seen == [2, 4, 6, 8, 10, 12]
    assert (totals.created, totals.updated, totals.failed) == (9, 2, 1)
    assert totals.errors[0]["line"] == 12
    names = {c["primaryPhone"]: c["firstName"] for c in await contacts(api)}
    assert names["+212612345600"] == "again" and names["+212612345601"] == "again"
    assert names["+212612345608"] == "n8"


async def test_chunks_share_a_transaction_up_to_commit_rows(api, tmp_path):
    """With commit_rows, several chunks go into one transaction: the hook runs
    once per commit, a later chunk still sees the earlier (uncommitted) rows
    as existing, and a failure rolls back only the open transaction."""
    from ringcast.contacts.csv_import import import_csv

    totals, seen = await import_small_file(api, tmp_path, commit_rows=5)
    assert seen == [6, 12]
    assert (totals.created, totals.updated, totals.failed) == (9, 2, 1)
    names = {c["primaryPhone"]: c["firstName"] for c in await contacts(api)}
    assert names["+212612345600"] == "again" and names["+212612345608"] == "n8"

    class StopError(Exception):
        pass

    async def fail_second(_session, totals):
        if totals.processed > 6:
            raise StopError

    other = tmp_path / "other.csv"
    other.write_text(
        "primaryPhone\n" + "".join(f"+2126123457{i:02d}\n" for i in range(9)), encoding="utf-8"
    )
    with pytest.raises(StopError):
        await import_csv(
            api.app.state.ringcast.sessions,
            api.acme.organization_id,
            other,
            rejected_path=tmp_path / "rejected2.csv",
            on_chunk=fail_second,
            chunk_rows=2,
            commit_rows=5,
        )
    stored = {c["primaryPhone"] for c in await contacts(api)}
    assert {f"+2126123457{i:02d}" for i in range(6)} <= stored
    assert not {f"+2126123457{i:02d}" for i in range(6, 9)} & stored


async def test_import_of_a_dead_process_is_reported_failed(api):
    from datetime import timedelta

    from ringcast.contacts.models import ContactImport
    from ringcast.db.base import utcnow

    old = utcnow() - timedelta(hours=1)
    async with api.app.state.ringcast.sessions.begin() as s:
        record = ContactImport(
            organization_id=api.acme.organization_id,
            filename="x.csv",
            status="running",
            processed_rows=5000,
            created_count=5000,
            updated_count=0,
            failed_count=0,
            created_at=old,
            updated_at=old,
        )
        s.add(record)
    r = await api.client.get(f"/api/contact/import/{record.id}", headers=api.acme.headers())
    assert r.json()["status"] == "failed" and "upload again" in r.json()["error"]
    assert r.json()["processedRows"] == 5000


async def test_shutdown_marks_running_imports_failed(api):
    from ringcast.contacts.import_jobs import shutdown_imports

    body = "primaryPhone\n" + "".join(f"+2126123{i:05d}\n" for i in range(3000))
    r = await upload(api, body.encode())
    assert r.status_code == 202
    await shutdown_imports(api.app.state.ringcast)
    r = await api.client.get(f"/api/contact/import/{r.json()['id']}", headers=api.acme.headers())
    done = r.json()
    assert done["status"] == "failed" and "interrupted" in done["error"]
    assert done["processedRows"] < 3000
    assert done["finishedAt"] is not None
