"""Our channel adapters (website, SMS, Telegram), registered in credentials.yml by module path."""
