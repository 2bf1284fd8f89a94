"""The customer's door: `GET /status/{token}`, a page that needs no Slack and no login."""
