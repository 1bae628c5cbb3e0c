"""Our dialogue policies, named in config.yml by dotted path."""
