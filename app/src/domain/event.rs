//! The one wire type of live updates (C9). Every app server turns rows of the `events`
//! table into these and sends each to the browsers allowed to see it.

use serde::{Deserialize, Serialize};

use super::{DialogId, DialogStatus, EventId, GroupId, LineId, MessageView, UserId};

/// Something others must see without a reload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerEvent {
    /// A message, note or system message was added to a dialog.
    #[serde(rename = "message.created")]
    MessageCreated { message: MessageView },
    /// A message changed: delivery state, edited or deleted by the client, files fetched.
    #[serde(rename = "message.updated")]
    MessageUpdated { message: MessageView },
    /// A dialog's status, assignee, title or snapshot changed.
    #[serde(rename = "dialog.updated")]
    DialogUpdated { dialog_id: DialogId },
}

impl ServerEvent {
    /// Every event's `type` tag: what webhook subscriptions may ask for.
    pub const TYPES: [&'static str; 3] = ["message.created", "message.updated", "dialog.updated"];

    pub fn dialog_id(&self) -> DialogId {
        match self {
            ServerEvent::MessageCreated { message } | ServerEvent::MessageUpdated { message } => {
                message.dialog_id
            }
            ServerEvent::DialogUpdated { dialog_id } => *dialog_id,
        }
    }
}

/// An event as it travels over the socket, with its position in the stream so a browser
/// can ask for what it missed after a reconnect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub id: EventId,
    pub event: ServerEvent,
}

/// What decides who may see an event: the dialog as it was when the event happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogFacts {
    pub line_id: LineId,
    pub status: DialogStatus,
    pub assignee_id: Option<UserId>,
    /// Assignee, initiator, co-assignees and observers.
    pub participant_ids: Vec<UserId>,
    /// The user a dialog was redirected or passed to for review, waiting in their New list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_user_id: Option<UserId>,
    /// The group a dialog was redirected to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_group_id: Option<GroupId>,
    /// The dialog as it was before the change this event reports: those who saw it then
    /// learn that it left them (accepted by someone else, redirected away).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Box<DialogFacts>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_of_types_names_every_variant_by_its_wire_tag() {
        let message = MessageView {
            id: crate::domain::MessageId(1),
            dialog_id: DialogId(3),
            kind: crate::domain::MessageKind::Note,
            direction: crate::domain::Direction::Internal,
            author_name: None,
            body: "x".into(),
            delivery: None,
            delivery_error: None,
            deleted: false,
            edited: false,
            sender_name: None,
            attachments: vec![],
            buttons: vec![],
            system: None,
            author_id: None,
            html: None,
            reply_to: None,
            forwarded: false,
            important: false,
            deletion: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let all = [
            ServerEvent::MessageCreated {
                message: message.clone(),
            },
            ServerEvent::MessageUpdated { message },
            ServerEvent::DialogUpdated {
                dialog_id: DialogId(3),
            },
        ];
        // A new variant fails to compile here until it is added above and to TYPES.
        for event in &all {
            match event {
                ServerEvent::MessageCreated { .. }
                | ServerEvent::MessageUpdated { .. }
                | ServerEvent::DialogUpdated { .. } => {}
            }
        }
        let tags: Vec<String> = all
            .iter()
            .map(|e| {
                serde_json::to_value(e).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(tags, ServerEvent::TYPES);
    }

    #[test]
    fn events_carry_their_dotted_type_name_on_the_wire() {
        let event = LiveEvent {
            id: EventId(7),
            event: ServerEvent::DialogUpdated {
                dialog_id: DialogId(3),
            },
        };
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(
            json,
            r#"{"id":7,"event":{"type":"dialog.updated","dialog_id":3}}"#
        );
        assert_eq!(serde_json::from_str::<LiveEvent>(&json).unwrap(), event);
    }
}
