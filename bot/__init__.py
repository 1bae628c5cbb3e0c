"""The assistant's own Python package: the logic that actions and channels share."""
