"""The new part of an e-mail reply: the text above the quoted history.

The splitting is `mail-parser-reply`'s: it knows the attribution lines of Gmail, Apple
Mail, Thunderbird and Outlook ("On … wrote:", "Am … schrieb …:", "Le … a écrit :",
"-----Original Message-----", "From: … Sent: …" blocks, and the same in a dozen
languages), where `email-reply-parser` knows English only. Of the reply samples in
`tests/handlers/channels/samples/mail/` it trims 23 of 27 correctly (email-reply-parser 15,
quotequail 22, email-reply-extractor 17); it misses Gmail's Spanish, Dutch, Portuguese
and wrapped Italian attribution lines, where the text is kept whole.

Its regular expressions backtrack badly on hostile input (one 40 000-character line
starting with "On " takes close to a minute), so the library only ever sees a probe:
the first 10 000 characters, each line stripped and cut to 200 characters. The cut it
finds is then mapped back onto the original lines, which are returned untouched.
Signatures stay: the customer wrote them, and they often carry the order number.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage as ReplyMessage

PROBE_CHARS = 10_000
PROBE_LINE_CHARS = 200
_LANGUAGES = tuple(MAIL_LANGUAGES)
_SEPARATOR = re.compile(r"^\s*[_-]{5,}\s*$")


def _probe(lines: list[str]) -> list[str]:
    probe: list[str] = []
    size = 0
    for line in lines:
        short = line.strip()[:PROBE_LINE_CHARS]
        size += len(short) + 1
        if size > PROBE_CHARS:
            break
        probe.append(short)
    return probe


def new_part(body: str) -> str:
    """The reply without the quoted history; the whole body when no history was found."""
    lines = body.replace("\r\n", "\n").split("\n")
    probe = _probe(lines)
    replies = ReplyMessage(text="\n".join(probe), languages=list(_LANGUAGES)).read().replies
    if len(replies) < 2 or replies[0].headers or not replies[0].content:
        return body
    end = -1
    for kept in (line for line in replies[0].content.split("\n") if line):
        end = next((i for i in range(end + 1, len(probe)) if probe[i] == kept), None)
        if end is None:
            return body
    kept_lines = lines[: end + 1]
    while kept_lines and _SEPARATOR.match(kept_lines[-1]):
        kept_lines.pop()
    return "\n".join(kept_lines).rstrip()
