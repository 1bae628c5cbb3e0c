"""Response generators, named in endpoints*.yml under nlg."""
