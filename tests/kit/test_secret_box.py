"""Sealing stored secrets: round trip, legacy clear values, wrong keys, the key file."""

from __future__ import annotations

import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ringcast.kit.secret_box import (
    PREFIX,
    SecretBox,
    SecretBoxError,
    load_or_create_key,
    new_key,
    open_with,
)
from ringcast.settings import Settings

BOX = SecretBox(new_key())


@given(st.text(max_size=300))
def test_round_trip(text):
    sealed = BOX.seal(text)
    assert sealed.startswith(PREFIX)
    assert BOX.open(sealed) == text


def test_sealing_hides_the_text_and_differs_each_time():
    a, b = BOX.seal("hunter2-password"), BOX.seal("hunter2-password")
    assert a != b  # a fresh IV per token
    assert "hunter2" not in a


def test_sealed_lengths_fit_the_columns():
    assert len(BOX.seal("whsec_" + "x" * 43)) <= 255  # webhook_endpoints.secret
    assert len(BOX.seal("é" * 200)) <= 1024  # trunks.password: 200 characters, 400 bytes


def test_an_unsealed_value_is_returned_as_is():
    assert BOX.open("legacy-clear-password") == "legacy-clear-password"
    assert open_with(None, "legacy-clear-password") == "legacy-clear-password"


def test_another_key_cannot_open_and_says_why():
    sealed = BOX.seal("secret")
    with pytest.raises(SecretBoxError, match="sealed with another key"):
        SecretBox(new_key()).open(sealed)
    with pytest.raises(SecretBoxError, match="damaged"):
        BOX.open(PREFIX + "not-a-token")
    with pytest.raises(SecretBoxError, match="no secret key"):
        open_with(None, sealed)


def test_a_malformed_key_is_refused():
    with pytest.raises(SecretBoxError, match="Fernet key"):
        SecretBox("too-short")
    with pytest.raises(ValidationError, match="Fernet key"):
        Settings(secret_key="too-short")  # type: ignore[arg-type]


def test_the_key_file_is_made_once_private_and_reused(tmp_path):
    first = Settings(data_dir=tmp_path / "data")
    sealed = first.secret_box().seal("trunk-pw")
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text()
    second = Settings(data_dir=tmp_path / "data")  # another process, same data dir
    assert second.secret_box().open(sealed) == "trunk-pw"
    assert path.read_text() == key
    assert load_or_create_key(path) == key.strip()
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary left


def test_the_setting_wins_over_the_key_file(tmp_path, monkeypatch):
    key = new_key()
    monkeypatch.setenv("RINGCAST_SECRET_KEY", key)
    settings = Settings(data_dir=tmp_path / "data")
    assert SecretBox(key).open(settings.secret_box().seal("x")) == "x"
    assert not (tmp_path / "data").exists()  # no key file made
    other = Settings(data_dir=tmp_path / "data", secret_key=new_key())  # type: ignore[arg-type]
    with pytest.raises(SecretBoxError):
        other.secret_box().open(settings.secret_box().seal("x"))
