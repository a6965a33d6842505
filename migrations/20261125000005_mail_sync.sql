-- Polling email channels' IMAP mailboxes (B5): where each mailbox was read up to. A row is
-- claimed by one app server at a time (locked_until), so a mailbox is never read twice at
-- once; "Receive messages now" sets next_poll_at to now and NOTIFYs dialogs_mail.
CREATE TABLE mail_sync (
    account_id     bigint NOT NULL,
    channel_id     bigint PRIMARY KEY,
    -- The folder's UIDVALIDITY when last_uid was read; another value means the server
    -- renumbered the folder and it is read again (storing is idempotent on Message-ID).
    uid_validity   bigint,
    last_uid       bigint NOT NULL DEFAULT 0,
    next_poll_at   timestamptz NOT NULL DEFAULT now(),
    locked_until   timestamptz,
    last_polled_at timestamptz,
    -- Why the last poll failed, or what it skipped; NULL when all was well.
    last_error     text,
    failures       integer NOT NULL DEFAULT 0,
    FOREIGN KEY (account_id, channel_id) REFERENCES channels(account_id, id) ON DELETE CASCADE
);
CREATE INDEX mail_sync_due ON mail_sync (next_poll_at);
