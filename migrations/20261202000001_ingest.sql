-- Every app server keeps the channels webhooks name in memory (server::channels::directory);
-- a committed change to a channel tells them all to read it again.
CREATE FUNCTION notify_channel_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dialogs_channels', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER channels_changed AFTER UPDATE OR DELETE ON channels
    FOR EACH ROW EXECUTE FUNCTION notify_channel_changed();

-- A refused event is kept once, however often its provider repeats the webhook.
DELETE FROM dead_letters a USING dead_letters b
 WHERE a.channel_id = b.channel_id AND a.event_index = b.event_index
   AND md5(a.body) = md5(b.body) AND a.id > b.id;
CREATE UNIQUE INDEX dead_letters_once ON dead_letters (channel_id, event_index, md5(body));
