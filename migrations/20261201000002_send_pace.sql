-- Sending pace shared by every app server: the next moment a chat or a channel may be sent
-- to (store/pace.rs). Small and hot; rows whose moment passed an hour ago are swept.
CREATE UNLOGGED TABLE send_pace (
    key     text PRIMARY KEY,
    next_at timestamptz NOT NULL
);
