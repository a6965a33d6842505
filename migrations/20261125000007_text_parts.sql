-- A text longer than a messenger takes in one message goes out in several; this counts the
-- pieces already taken, so a retry resumes after them and never sends one twice.
ALTER TABLE messages ADD COLUMN text_parts_sent integer NOT NULL DEFAULT 0;
