"""A private Dovecot and a seeded small-office mailbox, for the demo and the tests."""
