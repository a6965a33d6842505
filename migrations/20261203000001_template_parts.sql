-- WhatsApp templates: the header and buttons that take a value when a template is sent
-- (domain::template::TemplateParts as JSON: {"header", "buttons", "unsupported"}). Every
-- channel's templates are read again when the server starts, which fills it in.
ALTER TABLE message_templates
    ADD COLUMN parts jsonb NOT NULL DEFAULT '{}';
