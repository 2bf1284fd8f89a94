"""Reading e-mail headers as people wrote them, not as the RFCs wish they had.

Headers arrive RFC 2047-encoded (`=?utf-8?q?…?=`), as raw UTF-8 (RFC 6532), or as raw
8-bit bytes in some legacy charset with no label at all (old clients and form mailers
send `Françoise` as latin-1 or cp1252 bytes). The stdlib turns those bytes into
U+FFFD; here they are re-read from the raw header: UTF-8 when they are valid UTF-8,
else cp1252 (a superset of latin-1 for every printable character), and only then are
encoded words decoded and addresses parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.errors import HeaderParseError
from email.message import Message
from email.utils import getaddresses

from handlers.channels.base import clean_text
from handlers.channels.fields import MAX_ID_CHARS

_MSG_ID = re.compile(r"<([^<>\s]+)>")
_COMMENT = re.compile(r"\([^()]*\)")
_FOLD = re.compile(r"\r?\n")
_HEADER_ERRORS = (HeaderParseError, ValueError, TypeError, IndexError, AttributeError)
_NO_REPLY = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply)(?:[-+_.].*)?$", re.IGNORECASE)


def message_ids(value: str | None) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References header, without angle brackets.

    Stored bare so that threading compares like with like; a reply adds the brackets back.
    RFC 5322's obsolete syntax allows comments and spaces inside an id
    (`<1234 @ local(blah) .machine .example>`); those are read too when they leave an
    `id@domain`.
    """
    if not value:
        return []
    found = _MSG_ID.findall(value)
    bare = value.strip()
    if not found and "@" in bare and not any(c.isspace() or c in "<>" for c in bare):
        found = [bare]
    if not found:
        squeezed = re.sub(r"\s+", "", _COMMENT.sub("", value))
        found = [i for i in _MSG_ID.findall(squeezed) if "@" in i]
    return [clean_text(i) for i in found if len(i) <= MAX_ID_CHARS]


def _redecoded(raw: str) -> str:
    """Raw 8-bit bytes (kept by the parser as surrogate escapes) read as UTF-8, else cp1252."""
    try:
        data = raw.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return raw
    for charset in ("utf-8", "cp1252"):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def raw_header(msg: Message, name: str) -> str | None:
    """The header as sent, 8-bit bytes decoded: id parsing must see ids the policy dislikes."""
    raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return None
    return clean_text(_FOLD.sub("", _redecoded(str(raw))))


def _parsed(msg: Message, name: str) -> object | None:
    raw = raw_header(msg, name)
    if raw is None:
        return None
    try:
        return policy.default.header_factory(name, raw)
    except _HEADER_ERRORS:
        return raw


def header(msg: Message, name: str) -> str | None:
    """A header decoded (8-bit bytes and RFC 2047 words); one that cannot be parsed stays raw."""
    value = _parsed(msg, name)
    if value is None:
        return None
    try:
        return clean_text(str(value))
    except _HEADER_ERRORS:
        return raw_header(msg, name)


@dataclass(frozen=True)
class Mailbox:
    name: str
    address: str
    header: str

    @property
    def no_reply(self) -> bool:
        return bool(_NO_REPLY.match(self.address.rsplit("@", 1)[0]))


def _usable(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain and len(address) <= MAX_ID_CHARS) and not any(
        c.isspace() or c in "<>()," for c in address
    )


def mailboxes(msg: Message, name: str) -> list[Mailbox]:
    """Every mailbox in an address header that has a usable address, in header order."""
    value = _parsed(msg, name)
    if value is None:
        return []
    found: list[Mailbox] = []
    try:
        pairs = [(a.display_name, a.addr_spec) for a in getattr(value, "addresses", ())]
    except _HEADER_ERRORS:
        pairs = []
    if not pairs:
        pairs = getaddresses([str(value)])
    commented = dict((a, n) for n, a in getaddresses([str(value)]))
    for display, address in pairs:
        if _usable(address):
            label = display or commented.get(address, "")
            found.append(Mailbox(clean_text(label).strip(), address, name))
    return found


def first_mailbox(msg: Message) -> Mailbox | None:
    """`From`, else `Sender`, else `Reply-To`: the first one anyone could answer.

    A no-reply address (`noreply@`, `do-not-reply@`) is passed over when a later header
    names a person, which is how forms-to-mail gateways send: `From: no-reply@site`,
    `Reply-To: the customer`.
    """
    found = [m for h in ("From", "Sender", "Reply-To") for m in mailboxes(msg, h)]
    return next((m for m in found if not m.no_reply), found[0] if found else None)


def display_name(msg: Message, name: str) -> str:
    """The name part of an address header whose address is unusable (`MAILER DAEMON <>`)."""
    value = header(msg, name) or ""
    label = getaddresses([value])[0][0] if value else ""
    return clean_text(label or value.split("<", 1)[0].strip().strip('"'), limit=512).strip()
