//! Buttons under a message (E10): answers a client can tap instead of typing, where the
//! messenger has them. A tap comes back as the client's message with the button's title.

use crate::domain::ChannelKind;

/// How many buttons a messenger shows under one message, and how long a title may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ButtonLimits {
    pub count: usize,
    pub title_chars: usize,
    /// The longest text a message with buttons may have (WhatsApp's interactive body).
    pub text_chars: Option<usize>,
}

/// The limits of a messenger, or None where messages cannot carry buttons.
pub fn limits(kind: ChannelKind) -> Option<ButtonLimits> {
    match kind {
        // Interactive reply buttons: three, 20 characters, a body of up to 1,024.
        ChannelKind::Whatsapp => Some(ButtonLimits {
            count: 3,
            title_chars: 20,
            text_chars: Some(1024),
        }),
        // Telegram: a reply keyboard, a tap sends the button's text as the client's message.
        // The API channel passes them on for the other system to show.
        ChannelKind::Telegram | ChannelKind::Webhook => Some(ButtonLimits {
            count: 10,
            title_chars: 64,
            text_chars: None,
        }),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonError {
    /// This messenger has no buttons.
    NotSupported,
    TooMany,
    TooLong,
    Repeated,
    /// Buttons go under a text message: not a note, not files alone, not a template.
    NeedsText,
    /// The text is longer than a message with buttons may be.
    TextTooLong,
}

impl ButtonError {
    pub fn key(self) -> &'static str {
        match self {
            ButtonError::NotSupported => "buttons.error.not_supported",
            ButtonError::TooMany => "buttons.error.too_many",
            ButtonError::TooLong => "buttons.error.too_long",
            ButtonError::Repeated => "buttons.error.repeated",
            ButtonError::NeedsText => "buttons.error.needs_text",
            ButtonError::TextTooLong => "buttons.error.text_too_long",
        }
    }
}

/// The buttons as they will be sent: titles trimmed, blank inputs dropped, each title once,
/// within the messenger's limits. No buttons is always fine.
pub fn validate(
    kind: ChannelKind,
    titles: &[String],
    text: &str,
) -> Result<Vec<String>, ButtonError> {
    let titles: Vec<String> = titles
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if titles.is_empty() {
        return Ok(Vec::new());
    }
    let limits = limits(kind).ok_or(ButtonError::NotSupported)?;
    if titles.len() > limits.count {
        return Err(ButtonError::TooMany);
    }
    if titles
        .iter()
        .any(|t| t.chars().count() > limits.title_chars)
    {
        return Err(ButtonError::TooLong);
    }
    let mut seen = std::collections::HashSet::new();
    if !titles.iter().all(|t| seen.insert(t.to_lowercase())) {
        return Err(ButtonError::Repeated);
    }
    if text.trim().is_empty() {
        return Err(ButtonError::NeedsText);
    }
    if limits
        .text_chars
        .is_some_and(|max| text.trim().chars().count() > max)
    {
        return Err(ButtonError::TextTooLong);
    }
    Ok(titles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn titles_are_trimmed_and_blank_inputs_dropped() {
        assert_eq!(
            validate(
                ChannelKind::Whatsapp,
                &titles(&[" Yes ", "", "No"]),
                "Deliver today?"
            ),
            Ok(titles(&["Yes", "No"]))
        );
        assert_eq!(
            validate(ChannelKind::Email, &titles(&["", "  "]), "Hi"),
            Ok(Vec::new())
        );
    }

    #[test]
    fn each_messenger_keeps_its_limits() {
        let four = titles(&["a", "b", "c", "d"]);
        assert_eq!(
            validate(ChannelKind::Whatsapp, &four, "?"),
            Err(ButtonError::TooMany)
        );
        assert_eq!(validate(ChannelKind::Telegram, &four, "?"), Ok(four));
        assert_eq!(
            validate(
                ChannelKind::Whatsapp,
                &titles(&["x".repeat(21).as_str()]),
                "?"
            ),
            Err(ButtonError::TooLong)
        );
        assert_eq!(
            validate(ChannelKind::Email, &titles(&["Yes"]), "?"),
            Err(ButtonError::NotSupported)
        );
        assert_eq!(
            validate(ChannelKind::Whatsapp, &titles(&["Yes"]), &"x".repeat(1025)),
            Err(ButtonError::TextTooLong)
        );
    }

    #[test]
    fn buttons_need_text_and_distinct_titles() {
        assert_eq!(
            validate(ChannelKind::Telegram, &titles(&["Yes"]), "  "),
            Err(ButtonError::NeedsText)
        );
        assert_eq!(
            validate(ChannelKind::Telegram, &titles(&["Yes", "yes"]), "?"),
            Err(ButtonError::Repeated)
        );
    }
}
