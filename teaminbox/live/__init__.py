"""Live shared state: watching the mailbox, electing who watches, and
turning changes into events for every open browser."""
