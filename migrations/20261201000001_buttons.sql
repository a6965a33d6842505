-- E10: buttons under an outgoing message (their titles, in order), where the messenger has
-- them. A client's tap comes back as an ordinary message with the title.
ALTER TABLE messages ADD COLUMN buttons text[];
