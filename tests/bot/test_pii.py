"""Masking: personal numbers hidden, the numbers agents work with left readable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import pii
from config.schema import Pii

ALL = ("email", "phone", "card")


@pytest.mark.parametrize(
    "text",
    [
        "Delivered on 2026-11-23, please check.",
        "Invoice 2026-1187 is wrong",
        "our ref 12345678",
        "order 5512 arrived broken",
        "between 10:30 and 12:45",
        "app version 10.0.19045 and v1.2.3",
        "I paid $1,234.56 and EUR 12 345,67",
        "delivered 23.11.2026, tracking 00340434161234567890",
        "IBAN DE89 3704 0044 0532 0130 00",
        "card 4111 1111 1111 1112 fails the Luhn check",
        "ISBN 978-3-16-148410-0",
    ],
)
@pytest.mark.parametrize("region", ["US", "DE", "GB", "FR"])
def test_numbers_agents_need_stay_readable(text: str, region: str) -> None:
    assert pii.mask(text, ALL, region) == text


@pytest.mark.parametrize(
    ("text", "region", "masked"),
    [
        ("call +44 7700 900123 today", "US", "call [phone …23] today"),
        ("call (415) 555-0132 today", "US", "call [phone …32] today"),
        ("ruf 030 901820 an", "DE", "ruf [phone …20] an"),
        ("ruf +49 30 901820 an", "US", "ruf [phone …20] an"),
        ("ruf 0049 30 901820 an", "DE", "ruf [phone …20] an"),
        ("mobil +49 170 1234567", "GB", "mobil [phone …67]"),
        ("ring 020 7946 0958", "GB", "ring [phone …58]"),
        ("appelez le 01 42 68 53 00", "FR", "appelez le [phone …00]"),
    ],
)
def test_phone_numbers_are_masked(text: str, region: str, masked: str) -> None:
    assert pii.mask(text, ["phone"], region) == masked


def test_national_format_is_read_in_the_region() -> None:
    assert pii.mask("ruf 030 901820 an", ["phone"]) == "ruf 030 901820 an"
    assert pii.mask("ruf 030 901820 an", ["phone"], "de") == "ruf [phone …20] an"
    assert pii.mask("call (415) 555-0132", ["phone"], "not-a-region") == "call [phone …32]"


def test_cards_need_luhn_and_emails_keep_the_domain() -> None:
    text = "card 4111 1111 1111 1111 or 5500-0000-0000-0004, mail jane.doe@example.com"
    assert pii.mask(text, ALL) == "card [card …1111] or [card …0004], mail j•••@example.com"


def test_only_the_kinds_asked_for() -> None:
    text = "jane@example.com +49 170 1234567 4111111111111111"
    assert pii.mask(text, ["email"]) == "j•••@example.com +49 170 1234567 4111111111111111"
    assert pii.mask(text, []) == text


def test_mask_email_for_a_header() -> None:
    assert pii.mask_email("dana.scully@example.com") == "d•••@example.com"
    assert pii.mask_email(" D@x.org ") == "D•••@x.org"
    assert pii.mask_email("no address") == "•••"
    assert pii.mask_email("@example.com") == "•••"


def test_region_comes_from_config_else_the_calendar_country_else_us() -> None:
    assert Pii().region_for() == "US"
    assert Pii().region_for("de") == "DE"
    assert Pii().region_for("UK") == "GB"
    assert Pii(region="fr").region_for("DE") == "FR"
    assert Pii().region_for("XX") == "US"


def test_unknown_region_in_config_is_refused() -> None:
    with pytest.raises(ValueError, match="region"):
        Pii(region="Germany")


_texty = st.text(
    alphabet=st.sampled_from(list("0123456789 +-()./:@_aZ.\n[]…•x")) | st.characters(),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(text=_texty, region=st.sampled_from(["US", "DE", "GB", "FR", "IN", None]))
def test_masking_is_total_bounded_and_idempotent(text: str, region: str | None) -> None:
    once = pii.mask(text, ALL, region)
    assert len(once) <= 2 * len(text) + 12
    assert pii.mask(once, ALL, region) == once


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(
            [
                "+49 170 1234567",
                "(415) 555-0132",
                "030 901820",
                "4111 1111 1111 1111",
                "a.b@example.com",
                "2026-11-23",
                " ",
                "-",
                "0",
                "[phone …12]",
                "@",
                ".",
            ]
        ),
        max_size=12,
    ),
    region=st.sampled_from(["US", "DE"]),
)
def test_masking_adjacent_numbers_is_idempotent(parts: list[str], region: str) -> None:
    text = "".join(parts)
    once = pii.mask(text, ALL, region)
    assert pii.mask(once, ALL, region) == once


def test_no_region_has_numbers_shorter_than_the_phone_shortcut() -> None:
    """Text with fewer than `MIN_PHONE_DIGITS` digits skips the phone matcher: that is
    only right while no region's numbers are that short."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    shortest = min(
        length
        for region in phonenumbers.SUPPORTED_REGIONS
        for length in PhoneMetadata.metadata_for_region(region).general_desc.possible_length
        if length > 0
    )
    assert shortest == pii.MIN_PHONE_DIGITS


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("0123+ -()./ext٣x\uff10")), max_size=40),
    region=st.sampled_from(["US", "DE", "IR", "NU", "AC", "GB"]),
)
def test_text_with_too_few_digits_holds_no_phone_number(text: str, region: str) -> None:
    """What the shortcut skips, the matcher would not have found either (Unicode digits
    count as digits for both)."""
    if sum(ch.isdecimal() for ch in text) < pii.MIN_PHONE_DIGITS:
        assert pii._phone_spans(text, region) == []
        assert pii.mask(text, ["phone"], region) == text
