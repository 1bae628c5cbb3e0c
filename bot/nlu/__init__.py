"""Our components in Rasa's NLU pipeline, named in config.yml by dotted path."""
