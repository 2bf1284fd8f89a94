"""The local Slack Web API stand-in the tests talk to (shared with the demo)."""

from bot.demo.standin import Call, Fault, Message, SlackStandIn

__all__ = ["Call", "Fault", "Message", "SlackStandIn"]
