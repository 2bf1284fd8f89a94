"""Web contact forms → posts."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from handlers.channels import form
from handlers.channels.base import ParseError

FORM = "application/x-www-form-urlencoded"


def body(**fields: str) -> bytes:
    base = {
        "name": "Ana Lima",
        "email": "Ana.Lima@Example.com",
        "message": "My order arrived broken.\r\nPlease help!",
        "subject": "Broken blender",
        "order": "A-10021",
        "url": "https://shop.example/contact",
    }
    return urlencode({**base, **fields}).encode()


def test_form_becomes_post() -> None:
    post = form.parse("form", body(id="f-77"), FORM)
    assert post.external_id == "f-77"
    assert post.text == "Broken blender\n\nMy order arrived broken.\r\nPlease help!"
    assert post.author.id == "ana.lima@example.com"
    assert post.author.email == "Ana.Lima@Example.com"
    assert post.author.name == "Ana Lima"
    assert post.url == "https://shop.example/contact"
    assert post.metadata == {"subject": "Broken blender", "fields": [["Order", "A-10021"]]}


def test_missing_id_is_a_stable_hash_of_the_body() -> None:
    first = form.parse("form", body(), FORM).external_id
    assert first == form.parse("form", body(), FORM).external_id
    assert first.startswith("form-")
    assert first != form.parse("form", body(message="other"), FORM).external_id


def test_only_required_fields() -> None:
    raw = urlencode({"email": "x@y.z", "message": "hi"}).encode()
    post = form.parse("form", raw, FORM)
    assert (post.text, post.author.name, post.url, post.metadata) == ("hi", "", None, {})


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (urlencode({"message": "hi"}).encode(), "email"),
        (urlencode({"email": "x@y.z"}).encode(), "message"),
        (urlencode({"email": "x@y.z", "message": "   "}).encode(), "message"),
        (urlencode({"email": "not-an-address", "message": "hi"}).encode(), "email"),
        (b"email=x%40y.z&email=z%40y.z&message=hi", "email"),
        (body(url="javascript:alert(1)"), "url"),
        (body(id="i" * 300), "id"),
        (body(subject="s" * 600), "subject"),
        (b"email=x%40y.z&message=caf\xe9", "body"),
        ("&".join(f"f{i}=1" for i in range(60)).encode(), "body"),
    ],
)
def test_bad_form_names_the_field(raw: bytes, field: str) -> None:
    with pytest.raises(ParseError) as err:
        form.parse("form", raw, FORM)
    assert err.value.field == field


def test_nul_bytes_and_huge_message() -> None:
    post = form.parse("form", body(message="a\x00b" + "m" * 100_000, subject=""), FORM)
    assert post.text.startswith("ab")
    assert len(post.text) == 40_000


def test_extra_fields_are_kept_in_form_order_as_labelled_fields() -> None:
    raw = (
        b"email=x%40y.z&message=hi&phone_number=%2B49+30+901820&order=A-1&deliveryDate=2026-11-23"
        b"&topics=billing&topics=returns&empty=&_token=abc&_wpcf7=12&submit=Send"
        b"&g-recaptcha-response=03AGdBq24"
    )
    assert form.parse("form", raw, FORM).metadata["fields"] == [
        ["Phone number", "+49 30 901820"],
        ["Order", "A-1"],
        ["Delivery date", "2026-11-23"],
        ["Topics", "billing, returns"],
    ]


def test_extra_fields_are_bounded_in_count_and_length() -> None:
    fields = {f"field{i:02d}": "v" for i in range(30)}
    raw = urlencode({"email": "x@y.z", "message": "hi", "l" * 200: "w" * 2000, **fields})
    extra = form.parse("form", raw.encode(), FORM).metadata["fields"]
    assert len(extra) == form.MAX_EXTRA_FIELDS
    assert extra[0] == ["L" + "l" * 79, "w" * 499 + "…"]
    assert extra[1] == ["Field00", "v"]
