//! What every event a webhook parser accepts must satisfy, whatever the input: what the
//! ingest path stores from it has to fit the database's constraints (migrations/), or an
//! accepted webhook would fail when stored and the provider would retry it forever.

use app::domain::inbound::{InboundEvent, InboundMessage, MAX_BODY_CHARS};

/// `messages.sender_name`: `CHECK (length(sender_name) <= 300)`.
pub const MAX_SENDER_NAME_CHARS: usize = 300;

/// Panics when an accepted event breaks an invariant.
pub fn check_events(events: &[InboundEvent]) {
    for event in events {
        match event {
            InboundEvent::Message(m) | InboundEvent::Edited(m) => check_message(m),
            InboundEvent::Deleted { .. }
            | InboundEvent::Status { .. }
            | InboundEvent::TemplatesChanged => {}
        }
    }
}

fn check_message(m: &InboundMessage) {
    // The idempotency key and the chat a reply goes to.
    assert!(!m.external_id.trim().is_empty(), "empty external_id: {m:?}");
    assert!(
        !m.chat.external_id.trim().is_empty(),
        "empty chat external_id: {m:?}"
    );
    // `messages.body`: `CHECK (length(body) <= 20000)`.
    let body = m.body().chars().count();
    assert!(body <= MAX_BODY_CHARS, "body of {body} chars");
    if let Some(name) = &m.sender_name {
        let n = name.chars().count();
        assert!(n <= MAX_SENDER_NAME_CHARS, "sender_name of {n} chars");
    }
    // `attachments.file_name`: `CHECK (length(file_name) BETWEEN 1 AND 300)`, stored cut to
    // 300, so it must not be empty.
    for a in &m.attachments {
        assert!(!a.file_name.is_empty(), "attachment without a name: {a:?}");
    }
}
