"""Replies sent by SMTP, threaded into the customer's mail conversation.

The Message-ID is derived from the outbox key, so a reply sent again after a lost
SMTP answer is the same message to every mail system (and to the customer's client,
which shows it once). SMTP's own codes decide retrying: 4xx is transient, 5xx final
(the reverse of HTTP).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from bot.replies import OutgoingReply
from config.connectors import EmailConnector
from handlers.channels.base import ReplyError, ReplyReceipt

log = logging.getLogger("casebot.replies")
AUTO_REPLIED = "auto-replied"


def message_id_for(key: str, from_address: str) -> str:
    """`casebot.<hash of key>@<sender's domain>`, bare (no angle brackets)."""
    domain = from_address.rsplit("@", 1)[1]
    return f"casebot.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}"


def reply_subject(subject: str | None, case_ref: str) -> str:
    if not subject:
        return f"Re: your message ({case_ref})"
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}"


class EmailReplies:
    def __init__(
        self, cfg: EmailConnector, *, username: str | None = None, password: str | None = None
    ) -> None:
        self._cfg = cfg
        self._username = username
        self._password = password

    def message(self, reply: OutgoingReply) -> EmailMessage:
        """The message as it will be sent; separate from `send` so it can be inspected."""
        if not reply.customer_email:
            raise ReplyError("email: the customer has no e-mail address", retryable=False)
        msg = EmailMessage()
        msg["From"] = Address(self._cfg.from_name or "", addr_spec=self._cfg.from_address)
        msg["To"] = reply.customer_email
        msg["Subject"] = reply_subject(reply.subject, reply.case_ref)
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = f"<{message_id_for(reply.key, self._cfg.from_address)}>"
        if reply.in_reply_to:
            msg["In-Reply-To"] = f"<{reply.in_reply_to}>"
        thread = [i for i in (reply.conversation_id, reply.in_reply_to) if i]
        if thread:
            msg["References"] = " ".join(f"<{i}>" for i in dict.fromkeys(thread))
        if reply.automatic:
            msg["Auto-Submitted"] = AUTO_REPLIED
            # Exchange and Outlook honour this one rather than RFC 3834.
            msg["X-Auto-Response-Suppress"] = "All"
        msg.set_content(reply.text)
        return msg

    def send(self, reply: OutgoingReply) -> ReplyReceipt:
        msg = self.message(reply)
        try:
            self._deliver(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _refused("recipient refused", codes[0] if codes else 550) from None
        except smtplib.SMTPResponseException as exc:
            raise _refused("server refused", exc.smtp_code) from None
        except smtplib.SMTPNotSupportedError:
            raise ReplyError(
                "email: the server does not offer STARTTLS or AUTH as configured", retryable=False
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ReplyError(
                f"email: SMTP connection failed ({type(exc).__name__})", retryable=True
            ) from None
        message_id = str(msg["Message-ID"]).strip("<>")
        log.info("reply.sent", extra={"connector": "email", "case": reply.case_ref})
        return ReplyReceipt(external_id=message_id)

    def _deliver(self, msg: EmailMessage) -> None:
        cfg = self._cfg
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds) as smtp:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._username is not None and self._password is not None:
                smtp.login(self._username, self._password)
            smtp.send_message(msg)


def _refused(what: str, code: int) -> ReplyError:
    """SMTP's replies name no address here: the recipient is the customer's e-mail."""
    log.warning("reply.rejected", extra={"service": "email", "status": code})
    return ReplyError(f"email: {what} ({code})", retryable=400 <= code < 500)
