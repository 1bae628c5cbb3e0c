"""Conversation stores named in endpoints*.yml (tracker and lock), and deleting a conversation."""
