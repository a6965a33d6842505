-- E4: each user's most recent emoji, newest first, for the composer's emoji picker.

ALTER TABLE users
    ADD COLUMN recent_emoji text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT users_recent_emoji_count CHECK (cardinality(recent_emoji) <= 18);
