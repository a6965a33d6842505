-- The message menu (E8, E9): who deleted a message, why the messenger refused to delete it
-- at the client's side, and who starred it as important.

ALTER TABLE messages
    ADD COLUMN deleted_by_id bigint,
    -- Set when the messenger refused to delete the message for the client: it stays
    -- deleted here, and the operator is told it is still visible there.
    ADD COLUMN delete_error text CHECK (length(delete_error) <= 1000),
    ADD COLUMN important_by_id bigint,
    ADD COLUMN important_at timestamptz,
    ADD FOREIGN KEY (account_id, deleted_by_id) REFERENCES users(account_id, id),
    ADD FOREIGN KEY (account_id, important_by_id) REFERENCES users(account_id, id);

-- The Important tab: starred messages of an account, newest first.
CREATE INDEX messages_important ON messages (account_id, important_at DESC, id DESC)
    WHERE important;
-- Quotes and forwards look up the message they name.
CREATE INDEX messages_reply_to ON messages (reply_to_id) WHERE reply_to_id IS NOT NULL;
