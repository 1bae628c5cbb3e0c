"""Our channel adapters (website, SMS, Telegram, REST), registered in credentials.yml."""
