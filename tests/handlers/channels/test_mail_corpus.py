"""The e-mail corpus: real-format messages from RFCs and the big clients' documented shapes.

Every sample must parse (none refused for a missing Message-ID or a bounce's sender),
automated mail must be recognised as such, and replies must lose their quoted history.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bot.posts import AutomatedKind, IncomingPost
from handlers.channels import email
from tests.conftest import sign

SAMPLES = Path(__file__).parent / "samples" / "mail"
ALL = sorted(p.name for p in SAMPLES.glob("*.eml"))

B, R, A, U = (
    AutomatedKind.BOUNCE,
    AutomatedKind.DELIVERY_REPORT,
    AutomatedKind.AUTO_REPLY,
    AutomatedKind.BULK,
)
AUTOMATED = {
    "48-rfc3464-dsn-delayed-timeout.eml": B,
    "49-rfc3464-dsn-multiple-recipients.eml": B,
    "50-postfix-bounce-rfc822-headers.eml": B,
    "51-exim-bounce.eml": B,
    "52-qmail-plain-bounce.eml": B,
    "53-gmail-bounce-in-reply-to.eml": B,
    "54-bounce-mailer-daemon-empty-address.eml": B,
    "55-exchange-ndr.eml": B,
    "56-bounce-no-from-null-return-path.eml": B,
    "57-dsn-delayed-warning.eml": R,
    "58-rfc3834-auto-replied.eml": A,
    "59-outlook-automatic-reply.eml": A,
    "60-gmail-vacation-responder.eml": A,
    "61-x-autoreply-yes.eml": A,
    "62-x-autorespond-cpanel.eml": A,
    "63-precedence-bulk-newsletter.eml": U,
    "64-precedence-list-mailman.eml": U,
    "65-precedence-junk.eml": U,
    "66-noreply-shop-notification.eml": A,
    "67-noreply-notifications.eml": A,
}

# sample -> (what the post text must keep, what must be gone from it)
REPLIES = {
    "20-gmail-reply-en.eml": (["still hasn't arrived", "Dana"], ["wrote:", "shipped"]),
    "21-gmail-reply-en-wrapped-attribution.eml": (["double charge"], ["wrote:", "Department"]),
    "22-gmail-reply-de.eml": (["nicht angekommen", "Max"], ["schrieb", "Ersatz geschickt"]),
    "23-gmail-reply-fr.eml": (["toujours pas", "Claire"], ["a écrit", "expédié"]),
    "28-apple-mail-iphone-reply.eml": (["Please call me", "Sent from my iPhone"], ["wrote:"]),
    "29-thunderbird-reply-en.eml": (["new password works"], ["wrote:", "reset your"]),
    "30-thunderbird-reply-de.eml": (["funktioniert jetzt"], ["schrieb", "zurückgesetzt"]),
    "31-outlook-original-message.eml": (["that worked", "Jan Kowalski"], ["Original Message"]),
    "32-outlook-underscore-from-sent.eml": (["wrong VAT"], ["Sent:", "corrected", "____"]),
    "33-outlook-de-von-gesendet.eml": (["immer noch falsch", "Klaus Meier"], ["Gesendet:"]),
    "34-outlook-fr-de-envoye.eml": (["toujours pas reçu", "Luc"], ["Envoyé", "effectué"]),
    "35-outlook-es-nl-headers.eml": (["niet bezorgd", "Pieter"], ["Verzonden:", "onderweg"]),
    "36-interleaved-gt-quoting.eml": (["The one on the order", "a replacement is fine"], []),
    "37-signature-dashdash.eml": (["still leaking", "Special Agent"], ["wrote:", "new seal"]),
    "38-no-quote-with-list.eml": (["glass carafe", "power cord", "this week", "Harry"], []),
    "39-gmail-reply-sv.eml": (["fortfarande", "Astrid"], ["skrev", "skickat"]),
    "40-outlook-html-only-reply.eml": (["did not show up", "Tom"], ["Sent:", "will visit"]),
}
# Attribution lines mail-parser-reply does not know (see handlers/channels/mail_quotes.py):
# these replies keep their history rather than lose any of the customer's words.
UNTRIMMED = [
    "24-gmail-reply-es.eml",
    "25-gmail-reply-nl.eml",
    "26-gmail-reply-it.eml",
    "27-gmail-reply-pt.eml",
]


def parse(name: str) -> IncomingPost:
    return email.parse("email", (SAMPLES / name).read_bytes(), "message/rfc822")


def test_the_corpus_is_big_enough() -> None:
    assert len(ALL) >= 40


@pytest.mark.parametrize("name", ALL)
def test_every_sample_parses_and_automated_mail_is_recognised(name: str) -> None:
    post = parse(name)
    assert post.text.strip()
    assert post.external_id and post.author.id
    assert "\ufffd" not in post.text + post.author.name
    kind = post.automated.kind if post.automated else None
    assert kind == AUTOMATED.get(name)


@pytest.mark.parametrize(("name", "expect"), REPLIES.items(), ids=list(REPLIES))
def test_replies_lose_their_quoted_history(name: str, expect: tuple[list[str], list[str]]) -> None:
    keep, drop = expect
    post = parse(name)
    assert all(k in post.text for k in keep), post.text
    assert not any(d in post.text for d in drop), post.text
    if drop:
        assert post.metadata["full_text"].startswith(post.text.split("\n\n", 1)[1])


@pytest.mark.parametrize("name", UNTRIMMED)
def test_unknown_attribution_lines_keep_the_whole_reply(name: str) -> None:
    post = parse(name)
    assert "full_text" not in post.metadata
    assert "> " in post.text


@pytest.mark.parametrize(
    ("name", "ids", "failed"),
    [
        (
            "48-rfc3464-dsn-delayed-timeout.eml",
            ["199407021710.AA01234@cs.utk.edu"],
            ["louisl@larry.slip.umd.edu"],
        ),
        (
            "49-rfc3464-dsn-multiple-recipients.eml",
            ["casebot.0a1b2c3d4e5f60718293a4b5c6d7e8f9@acme.test"],
            ["arathib@vnet.ibm.com", "wsnell@sdcc13.ucsd.edu"],
        ),
        (
            "50-postfix-bounce-rfc822-headers.eml",
            ["casebot.1b2c3d4e5f60718293a4b5c6d7e8f90a@acme.test"],
            ["dana.scully@gmail.example"],
        ),
        ("52-qmail-plain-bounce.eml", ["casebot.3d4e5f60718293a4b5c6d7e8f90a1b2c@acme.test"], []),
        (
            "53-gmail-bounce-in-reply-to.eml",
            ["casebot.4e5f60718293a4b5c6d7e8f90a1b2c3d@acme.test"],
            ["claire.martin@gmail.example"],
        ),
        (
            "54-bounce-mailer-daemon-empty-address.eml",
            ["casebot.5f60718293a4b5c6d7e8f90a1b2c3d4e@acme.test"],
            [],
        ),
        (
            "56-bounce-no-from-null-return-path.eml",
            ["casebot.718293a4b5c6d7e8f90a1b2c3d4e5f60@acme.test"],
            ["walter@skinner.example"],
        ),
    ],
)
def test_a_bounce_names_the_message_it_returns(
    name: str, ids: list[str], failed: list[str]
) -> None:
    automated = parse(name).automated
    assert automated is not None
    assert list(automated.original_ids) == ids
    assert list(automated.failed_recipients) == failed


def test_a_bounce_without_a_usable_sender_still_parses() -> None:
    post = parse("54-bounce-mailer-daemon-empty-address.eml")
    assert (post.author.id, post.author.name, post.author.email) == (
        "mailer-daemon",
        "MAILER DAEMON",
        None,
    )
    assert post.external_id.endswith("@casebot.invalid")


def test_gateway_mail_is_from_the_customer_not_the_no_reply_sender() -> None:
    post = parse("43-form-gateway-noreply-from-reply-to.eml")
    assert post.author.email == "chen.wei@example.cn"
    assert post.automated is None


def test_decoded_names_subjects_and_attachment_names() -> None:
    assert parse("14-latin1-8bit-from-subject.eml").author.name == "Françoise Dupré"
    assert parse("15-cp1252-8bit-headers-no-charset.eml").author.name == "Zoë “Zo” Ångström"
    assert parse("12-rfc2047-section8-examples.eml").text.startswith(
        "If you can read this you understand the example.\n\n"
    )
    files = parse("18-thunderbird-attachments.eml").metadata["attachments"]
    assert [(f["filename"], f["content_type"]) for f in files] == [
        ("box-front.png", "image/png"),
        ("Lieferschein N°5512.pdf", "application/pdf"),
    ]
    assert all(f["size"] > 0 for f in files)


def _ingest(http: FlaskClient, raw: bytes) -> TestResponse:
    headers = {"Content-Type": "message/rfc822", "X-Casebot-Signature": sign(raw)}
    return http.post("/ingest/email", data=raw, headers=headers)


def test_through_ingest_a_gateway_mail_and_a_bounce_are_accepted_once(http: FlaskClient) -> None:
    """The 400s the corpus used to get (no Message-ID, `MAILER DAEMON <>`) are now 202s."""
    for name in ("41-php-mail-form-no-message-id.eml", "54-bounce-mailer-daemon-empty-address.eml"):
        raw = (SAMPLES / name).read_bytes()
        first, again = _ingest(http, raw), _ingest(http, b"Received: by relay2; now\n" + raw)
        assert (first.status_code, again.status_code) == (202, 202), first.get_json()
        assert (first.get_json()["duplicate"], again.get_json()["duplicate"]) == (False, True)


def test_through_ingest_deep_nesting_is_a_400_not_a_500(http: FlaskClient) -> None:
    depth = 3000
    raw = (
        b"From: a@example.com\n"
        + b"".join(
            b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth)
        )
        + b"Content-Type: text/plain\n\nhi\n"
    )
    resp = _ingest(http, raw)
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "Content-Type"
