"""The gateway's browser pages and their static files (bot/web/static)."""
