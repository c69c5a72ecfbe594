"""Speaking IMAP to the shared mailbox; the only package that imports imapclient."""
