"""Developer commands behind make targets (run, eval, sms-preview); never imported by a server."""
