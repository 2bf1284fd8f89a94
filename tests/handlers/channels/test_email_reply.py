"""The SMTP connector against a local aiosmtpd server."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from config.connectors import EmailConnector
from handlers.channels import email as email_parser
from handlers.channels.base import ReplyError
from handlers.channels.email_reply import EmailReplies, message_id_for, reply_subject
from tests.handlers.channels.remotes import SmtpRemote, free_port
from tests.handlers.channels.replies_data import CUSTOMER_EMAIL, reply


def connector(port: int, **extra: Any) -> EmailReplies:
    cfg = EmailConnector(
        kind="email",
        host="127.0.0.1",
        port=port,
        starttls=extra.pop("starttls", False),
        username_env="SMTP_USER",
        password_env="SMTP_PASSWORD",
        from_address="care@acme.test",
        from_name="Acme Care",
        timeout_seconds=5,
    )
    return EmailReplies(cfg, **{"username": "casebot", "password": "smtp-secret-pw", **extra})


def email_reply(**changes: Any) -> Any:
    fields: dict[str, Any] = {
        "source": "email",
        "in_reply_to": "CAF3x9=abc123@mail.example.org",
        "conversation_id": "root-1@mail.example.org",
        "customer_handle": CUSTOMER_EMAIL,
        "subject": "Rechnung doppelt abgebucht",
    }
    return reply(**{**fields, **changes})


def received(smtp: SmtpRemote) -> EmailMessage:
    [envelope] = smtp.sink.messages
    msg = message_from_bytes(envelope.original_content or b"", policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_reply_is_threaded_into_the_customer_mail(
    smtp: SmtpRemote, log_text: Callable[[], str]
) -> None:
    receipt = connector(smtp.port).send(email_reply())

    [envelope] = smtp.sink.messages
    assert envelope.mail_from == "care@acme.test"
    assert envelope.rcpt_tos == [CUSTOMER_EMAIL]
    msg = received(smtp)
    assert msg["From"] == "Acme Care <care@acme.test>"
    assert msg["To"] == CUSTOMER_EMAIL
    assert msg["Subject"] == "Re: Rechnung doppelt abgebucht"
    assert msg["In-Reply-To"] == "<CAF3x9=abc123@mail.example.org>"
    assert msg["References"] == "<root-1@mail.example.org> <CAF3x9=abc123@mail.example.org>"
    assert msg["Message-ID"] == f"<{message_id_for('reply:42:1', 'care@acme.test')}>"
    assert receipt.external_id == message_id_for("reply:42:1", "care@acme.test")
    body = msg.get_body(("plain",))
    assert body is not None and body.get_content().strip() == email_reply().text
    logs = log_text()
    assert CUSTOMER_EMAIL not in logs and "smtp-secret-pw" not in logs


def test_customer_answer_to_the_reply_joins_the_thread(smtp: SmtpRemote) -> None:
    """Our reply's headers, answered by a mail client, thread back to the same conversation."""
    receipt = connector(smtp.port).send(email_reply())
    ours = received(smtp)
    answer = (
        f"From: {CUSTOMER_EMAIL}\nMessage-ID: <answer-1@customer.example>\n"
        f"In-Reply-To: {ours['Message-ID']}\nReferences: {ours['References']}"
        f" {ours['Message-ID']}\nSubject: {ours['Subject']}\n\nThanks!\n"
    ).encode()
    post = email_parser.parse("email", answer, "message/rfc822")
    assert post.conversation_id == "root-1@mail.example.org"
    assert post.in_reply_to == receipt.external_id


def test_retried_send_is_the_same_message(smtp: SmtpRemote) -> None:
    connector(smtp.port).send(email_reply())
    connector(smtp.port).send(email_reply())
    connector(smtp.port).send(email_reply(key="reply:42:2"))
    ids = [
        message_from_bytes(e.original_content or b"", policy=policy.default)["Message-ID"]
        for e in smtp.sink.messages
    ]
    assert ids[0] == ids[1] != ids[2]


def test_first_message_of_a_thread(smtp: SmtpRemote) -> None:
    connector(smtp.port).send(email_reply(in_reply_to=None, conversation_id=None, subject=None))
    msg = received(smtp)
    assert msg["Subject"] == "Re: your message (C-42)"
    assert msg["In-Reply-To"] is None and msg["References"] is None


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Re: Help", "Re: Help"), ("RE: Help", "RE: Help"), ("Help", "Re: Help")],
)
def test_subject_gets_one_re(subject: str, expected: str) -> None:
    assert reply_subject(subject, "C-1") == expected


@pytest.mark.parametrize(
    ("where", "answer", "retryable"),
    [
        ("rcpt", "450 4.2.1 Mailbox busy", True),
        ("rcpt", "550 5.1.1 No such user", False),
        ("data", "451 4.3.0 Try later", True),
        ("data", "554 5.7.1 Rejected as spam", False),
    ],
)
def test_smtp_refusals(
    smtp: SmtpRemote, where: str, answer: str, retryable: bool, log_text: Callable[[], str]
) -> None:
    setattr(smtp.sink, f"{where}_answer", answer)
    with pytest.raises(ReplyError) as err:
        connector(smtp.port).send(email_reply())
    assert err.value.retryable is retryable
    assert answer[:3] in str(err.value)
    assert CUSTOMER_EMAIL not in str(err.value) and CUSTOMER_EMAIL not in log_text()


def test_wrong_password_is_not_retryable(smtp: SmtpRemote) -> None:
    with pytest.raises(ReplyError) as err:
        connector(smtp.port, password="wrong").send(email_reply())
    assert not err.value.retryable
    assert "wrong" not in str(err.value)


def test_starttls_not_offered_is_not_retryable(smtp: SmtpRemote) -> None:
    with pytest.raises(ReplyError) as err:
        connector(smtp.port, starttls=True).send(email_reply())
    assert not err.value.retryable


def test_connection_refused_is_retryable() -> None:
    with pytest.raises(ReplyError) as err:
        connector(free_port()).send(email_reply())
    assert err.value.retryable


def test_no_customer_address_is_not_retryable(smtp: SmtpRemote) -> None:
    with pytest.raises(ReplyError) as err:
        connector(smtp.port).send(email_reply(customer_email=None))
    assert not err.value.retryable
    assert smtp.sink.messages == []
