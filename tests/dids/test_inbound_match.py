"""The called number of an inbound call, in the formats carriers use, names a DID."""

from __future__ import annotations

import pytest

from ringcast.dids.inbound import dialed_digits, dialed_matches


@pytest.mark.parametrize(
    "dialed",
    ["+33987654320", "33987654320", "0033987654320", "0987654320", "987654320",
     "+33 9 87 65 43 20", "33987654320;npdi"],
)  # fmt: skip
def test_every_format_names_the_french_did(dialed: str) -> None:
    assert dialed_matches(dialed_digits(dialed), "+33987654320")


@pytest.mark.parametrize("dialed", ["0987654321", "+33987654321", "", "44987654320"])
def test_other_numbers_do_not(dialed: str) -> None:
    assert not dialed_matches(dialed_digits(dialed), "+33987654320")


def test_a_tech_prefix_is_taken_off_first() -> None:
    assert dialed_digits("9901#33987654320", "9901#") == "33987654320"
    assert dialed_matches(dialed_digits("9901#0987654320", "9901#"), "+33987654320")
    # a US number: national without a trunk prefix, or with the 1
    assert dialed_matches(dialed_digits("2125550123"), "+12125550123")
    assert dialed_matches(dialed_digits("12125550123"), "+12125550123")
