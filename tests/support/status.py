"""A case seeded with everything its status page must keep to itself, for the page's tests
(the Flask client ones and the browser ones).

Case C-1 has an owner, an internal note, an escalation into another department, a reply
that failed, two replies that reached the customer (one naming a colleague's address and
phone number) and then a follow-up from the customer, so an answer is owed again; C-2
is another customer's case, with a draft reply that was discarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import cases, escalation, intake, replies, status
from bot.ids import Surface
from bot.posts import Author, IncomingPost
from bot.timesource import ManualTime
from config.schema import CasebotConfig
from storage.db import Database

OWNER = "U0OWNER042"
NOTE = "Internal: suspect reseller abuse, do not refund"
CUSTOMER_TEXT = "My zebra-striped kettle order 7781 never arrived, I am dana.k@example.org"
OTHER_NAME = "Olaf Othercustomer"
OTHER_TEXT = "Olaf's walrus blender leaks everywhere"
FIRST_REPLY = "Sorry Dana! Your kettle is on its way again and arrives Thursday."
SECOND_REPLY = (
    "Our courier desk (courier.desk@example.com, +44 20 7946 0958) confirmed it this morning."
)
SECOND_REPLY_MASKED_PARTS = ("Our courier desk (", "confirmed it this morning.")
DRAFT = "Draft that was discarded: we could offer a voucher"
FAILED = "This reply never got through"
FOLLOW_UP = "Thanks! And will the walnut lid come too?"
SECRETS = (OWNER, NOTE, CUSTOMER_TEXT, FOLLOW_UP, OTHER_NAME, OTHER_TEXT, DRAFT, FAILED, "dana.k@")
UNMASKED = ("courier.desk@example.com", "7946 0958", "+44 20 7946")


@dataclass(frozen=True)
class Seeded:
    case_id: int
    other_case_id: int
    token: str


def _post(n: int, text: str, name: str, source: str) -> IncomingPost:
    return IncomingPost(
        source=source,
        external_id=f"seed-{n}",
        text=text,
        author=Author(id=f"seed-author-{n}", handle=f"@seed{n}", name=name),
    )


def seed(db: Database, config: CasebotConfig, time: ManualTime) -> Seeded:
    """Needs `config.sources` with `web` (replies straight out) and `shop` (approval)."""
    now = time.now()
    with db.session() as s:
        case_id = intake.receive(
            s, _post(1, CUSTOMER_TEXT, "Dana Kettle", "web"), now=now, config=config
        ).case_id
        other = intake.receive(s, _post(2, OTHER_TEXT, OTHER_NAME, "shop"), now=now, config=config)
    later = time.advance(timedelta(minutes=5))
    with db.session() as s:
        cases.claim(s, case_id, actor=OWNER, surface=Surface.BUTTON, now=later)
        cases.note(s, case_id, text=NOTE, actor=OWNER, surface=Surface.COMMAND, now=later)
        escalation.escalate(
            s,
            case_id,
            actor=OWNER,
            surface=Surface.COMMAND,
            now=later,
            config=config,
            department="billing",
            reason="customer disputes the fee",
        )
    _reply(db, config, time, case_id, FIRST_REPLY, sent=True)
    _reply(db, config, time, case_id, FAILED, sent=False)
    _reply(db, config, time, case_id, SECOND_REPLY, sent=True)
    _draft_discarded(db, config, time, other.case_id)
    with db.session() as s:
        follow_up = IncomingPost(
            source="web",
            external_id="seed-1b",
            text=FOLLOW_UP,
            author=Author(id="seed-author-1", handle="@seed1", name="Dana Kettle"),
            in_reply_to="seed-1",
        )
        intake.receive(s, follow_up, now=time.advance(timedelta(minutes=2)), config=config)
    with db.session() as s:
        token = status.mint_link(s, case_id=case_id, now=time.now())
    return Seeded(case_id=case_id, other_case_id=other.case_id, token=token)


def _reply(
    db: Database, config: CasebotConfig, time: ManualTime, case_id: int, text: str, *, sent: bool
) -> None:
    at = time.advance(timedelta(minutes=3))
    with db.session() as s:
        [event] = replies.request(
            s, case_id, text=text, actor=OWNER, surface=Surface.COMMAND, now=at, config=config
        )
        reply_id = int(event.data()["reply_id"])
    at = time.advance(timedelta(seconds=20))
    with db.session() as s:
        if sent:
            replies.sent(s, reply_id, external_id=f"ext-{reply_id}", now=at)
        else:
            replies.failed(s, reply_id, error="webhook answered 400", now=at)


def _draft_discarded(db: Database, config: CasebotConfig, time: ManualTime, case_id: int) -> None:
    at: datetime = time.advance(timedelta(minutes=1))
    with db.session() as s:
        [event] = replies.request(
            s, case_id, text=DRAFT, actor=OWNER, surface=Surface.COMMAND, now=at, config=config
        )
        replies.discard(
            s, int(event.data()["reply_id"]), actor="U0OTHER001", surface=Surface.BUTTON, now=at
        )
