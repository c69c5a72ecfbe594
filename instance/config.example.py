# TeamInbox settings. Copy to instance/config.py; every key can also be set
# as an environment variable with the TEAMINBOX_ prefix, which wins.
# All keys, their defaults and their reasons: teaminbox/config.py.

# The shared mailbox (contact@) the whole team works on.
IMAP_HOST = "imap.example.com"
IMAP_PORT = 993
IMAP_SECURITY = "ssl"  # ssl, starttls or none
IMAP_USER = "contact@example.com"
IMAP_PASSWORD = "the mailbox password"

# Connections TeamInbox may hold on that account (the server caps them per
# user and IP, Dovecot at 10, shared with Thunderbird on the same network).
IMAP_MAX_CONNECTIONS = 4

# Outgoing mail (replies).
SMTP_HOST = "smtp.example.com"
SMTP_PORT = 465
SMTP_SECURITY = "ssl"
SMTP_USER = "contact@example.com"
SMTP_PASSWORD = "the mailbox password"
# Replies come from this address, as "Alice Martin - Contact" (with an en
# dash); both default to the IMAP user and its capitalised local part.
# SHARED_ADDRESS = "contact@example.com"
# SHARED_NAME = "Contact"

# Served over HTTPS? Then send the session cookie only over HTTPS.
SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True

# PostgreSQL instead of the embedded SQLite:
# DATABASE_URL = "postgresql+psycopg://teaminbox@db.example.com/teaminbox"
