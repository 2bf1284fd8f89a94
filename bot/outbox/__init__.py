"""The outbox: what Casebot owes someone, delivered at least once and (for Slack) never
twice. `kinds` is the one registry of row kinds and their payloads, `runner` the one
loop that leases rows, calls the kind's deliverer and records the outcome; deliverers
are plugins (`bot.slack.delivery` for Slack, `handlers.channels.delivery` for
customers)."""
