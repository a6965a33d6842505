//! WhatsApp message templates (E6): approved texts with `{{1}}`, `{{2}}`… placeholders, the
//! only messages WhatsApp delivers to a client who has not written for 24 hours.

use serde::{Deserialize, Serialize};

use super::{ChannelId, TemplateId};

/// The most variables one template body takes (Meta's own limit is lower).
pub const MAX_VARIABLES: usize = 100;
/// The longest value of one variable.
pub const MAX_VARIABLE_CHARS: usize = 1024;

/// An approved template as the composer offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateView {
    pub id: TemplateId,
    pub channel_id: ChannelId,
    pub name: String,
    pub language: String,
    pub category: String,
    /// The body with its placeholders.
    pub body: String,
    /// How many `{{n}}` the body has.
    pub variables: usize,
    /// The header and buttons, as far as sending needs them.
    #[serde(default)]
    pub parts: TemplateParts,
}

/// What of a template besides its body takes a value when it is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateParts {
    #[serde(default)]
    pub header: Option<TemplateHeader>,
    /// The buttons that take a value, in the template's order.
    #[serde(default)]
    pub buttons: Vec<TemplateButton>,
    /// Set when the template needs a value this product cannot give yet (a location header,
    /// a product catalogue, a carousel…): it is listed but cannot be sent.
    #[serde(default)]
    pub unsupported: Option<String>,
}

/// A template's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum TemplateHeader {
    /// A line of text, with at most one `{{1}}`.
    Text {
        text: String,
    },
    /// A picture, video or document: each message names its own by an https link.
    Image,
    Video,
    Document,
}

impl TemplateHeader {
    /// Whether sending the template needs a value for its header.
    pub fn takes_value(&self) -> bool {
        match self {
            TemplateHeader::Text { text } => count_variables(text) > 0,
            _ => true,
        }
    }
}

/// A button of a template that takes a value when it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateButton {
    /// Its position among all the template's buttons (WhatsApp counts them all).
    pub index: usize,
    pub kind: ButtonKind,
    /// The button's caption.
    pub text: String,
    /// A URL button's address with its `{{1}}`, which the value completes.
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonKind {
    /// Opens the URL with the value in place of `{{1}}`.
    Url,
    /// Copies the value (a coupon code) for the client.
    CopyCode,
}

/// The template an operator chose and the values of its variables, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateChoice {
    pub template_id: TemplateId,
    #[serde(default)]
    pub variables: Vec<String>,
    /// The header's value: its `{{1}}` for a text header, the https link of the picture,
    /// video or document for a media header.
    #[serde(default)]
    pub header: Option<String>,
    /// One value per button that takes one, in the template's order.
    #[serde(default)]
    pub buttons: Vec<String>,
}

/// What a sent template message keeps: enough to send it again and to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentTemplate {
    pub name: String,
    pub language: String,
    pub variables: Vec<String>,
    #[serde(default)]
    pub header: Option<HeaderValue>,
    #[serde(default)]
    pub buttons: Vec<ButtonValue>,
}

/// The value a sent template's header took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", content = "value", rename_all = "snake_case")]
pub enum HeaderValue {
    Text(String),
    Image(String),
    Video(String),
    Document(String),
}

/// The value one button of a sent template took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonValue {
    pub index: usize,
    pub kind: ButtonKind,
    pub value: String,
}

/// Why the variables do not fit the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateError {
    /// A variable is empty (WhatsApp refuses empty parameters).
    Empty(usize),
    /// A variable is longer than `MAX_VARIABLE_CHARS`.
    TooLong(usize),
    /// Not as many values as the body has placeholders.
    Count { expected: usize, given: usize },
    /// The header's value is missing, empty or too long.
    Header,
    /// A media header's value is not an https link.
    Link,
    /// The n-th button's value is missing, empty or too long.
    Button(usize),
    /// The template needs something this product cannot send.
    Unsupported,
}

impl TemplateError {
    /// The message key the forms show.
    pub fn key(self) -> &'static str {
        match self {
            TemplateError::Empty(_) => "template.error.empty",
            TemplateError::TooLong(_) => "template.error.long",
            TemplateError::Count { .. } => "template.error.count",
            TemplateError::Header => "template.error.header",
            TemplateError::Link => "template.error.link",
            TemplateError::Button(_) => "template.error.button",
            TemplateError::Unsupported => "template.error.unsupported",
        }
    }

    /// The field of the choice the error is about.
    pub fn field(self) -> &'static str {
        match self {
            TemplateError::Header | TemplateError::Link => "header",
            TemplateError::Button(_) => "buttons",
            TemplateError::Unsupported => "template",
            TemplateError::Empty(_) | TemplateError::TooLong(_) | TemplateError::Count { .. } => {
                "variables"
            }
        }
    }
}

/// The highest `{{n}}` in a template body: how many variables it takes.
pub fn count_variables(body: &str) -> usize {
    let mut highest = 0;
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        if let Ok(n) = rest[..end].trim().parse::<usize>()
            && (1..=MAX_VARIABLES).contains(&n)
        {
            highest = highest.max(n);
        }
        rest = &rest[end + 2..];
    }
    highest
}

/// The body with `{{n}}` replaced by the n-th value (placeholders without a value stay).
pub fn render(body: &str, variables: &[String]) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let value = after[..end]
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| variables.get(i));
        match value {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Trims the values and checks them against a template taking `expected` variables.
pub fn validate_variables(
    expected: usize,
    variables: &[String],
) -> Result<Vec<String>, TemplateError> {
    if variables.len() != expected {
        return Err(TemplateError::Count {
            expected,
            given: variables.len(),
        });
    }
    variables
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let v = v.trim();
            if v.is_empty() {
                Err(TemplateError::Empty(i + 1))
            } else if v.chars().count() > MAX_VARIABLE_CHARS {
                Err(TemplateError::TooLong(i + 1))
            } else {
                Ok(v.to_owned())
            }
        })
        .collect()
}

/// The longest link a media header takes.
pub const MAX_LINK_CHARS: usize = 2048;

/// One value: trimmed, not empty, not too long.
fn value(v: &str, limit: usize) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && v.chars().count() <= limit).then(|| v.to_owned())
}

/// Whether WhatsApp can fetch a media header from `link`: an https address with a host and
/// no spaces.
fn is_https_link(link: &str) -> bool {
    link.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !rest.chars().any(char::is_whitespace)
    })
}

/// Checks an operator's choice against the template and gives what sending it needs.
pub fn validate(
    template: &TemplateView,
    choice: &TemplateChoice,
) -> Result<SentTemplate, TemplateError> {
    if template.parts.unsupported.is_some() {
        return Err(TemplateError::Unsupported);
    }
    let variables = validate_variables(template.variables, &choice.variables)?;
    let header = match &template.parts.header {
        Some(header) if header.takes_value() => {
            let limit = match header {
                TemplateHeader::Text { .. } => MAX_VARIABLE_CHARS,
                _ => MAX_LINK_CHARS,
            };
            let given = choice
                .header
                .as_deref()
                .and_then(|v| value(v, limit))
                .ok_or(TemplateError::Header)?;
            Some(match header {
                TemplateHeader::Text { .. } => HeaderValue::Text(given),
                _ if !is_https_link(&given) => return Err(TemplateError::Link),
                TemplateHeader::Image => HeaderValue::Image(given),
                TemplateHeader::Video => HeaderValue::Video(given),
                TemplateHeader::Document => HeaderValue::Document(given),
            })
        }
        _ => None,
    };
    let buttons = template
        .parts
        .buttons
        .iter()
        .enumerate()
        .map(|(i, button)| {
            choice
                .buttons
                .get(i)
                .and_then(|v| value(v, MAX_VARIABLE_CHARS))
                .map(|value| ButtonValue {
                    index: button.index,
                    kind: button.kind,
                    value,
                })
                .ok_or(TemplateError::Button(i + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if choice.buttons.len() > template.parts.buttons.len() {
        return Err(TemplateError::Button(template.parts.buttons.len() + 1));
    }
    Ok(SentTemplate {
        name: template.name.clone(),
        language: template.language.clone(),
        variables,
        header,
        buttons,
    })
}

/// The text a sent template shows in the chat: its header (text, or the media link) above
/// the filled-in body; the template's name when both are empty.
pub fn render_sent(template: &TemplateView, sent: &SentTemplate) -> String {
    let header = match (&template.parts.header, &sent.header) {
        (Some(TemplateHeader::Text { text }), value) => {
            let values: Vec<String> = match value {
                Some(HeaderValue::Text(v)) => vec![v.clone()],
                _ => Vec::new(),
            };
            render(text, &values)
        }
        (
            _,
            Some(HeaderValue::Image(link) | HeaderValue::Video(link) | HeaderValue::Document(link)),
        ) => link.clone(),
        _ => String::new(),
    };
    let body = render(&template.body, &sent.variables);
    let text = [header.trim(), body.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if text.is_empty() {
        template.name.clone()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_highest_placeholder() {
        assert_eq!(count_variables("Hello"), 0);
        assert_eq!(count_variables("Hi {{1}}, order {{2}} ships {{ 3 }}"), 3);
        assert_eq!(count_variables("{{2}} before {{1}}"), 2);
        assert_eq!(count_variables("{{x}} {{0}} {{1"), 0);
    }

    #[test]
    fn renders_values_in_place() {
        let values = vec!["Anna".to_owned(), "#42".to_owned()];
        assert_eq!(
            render("Hi {{1}}, order {{2}} is ready. {{1}}!", &values),
            "Hi Anna, order #42 is ready. Anna!"
        );
        assert_eq!(render("{{3}} stays", &values), "{{3}} stays");
        assert_eq!(render("open {{1", &values), "open {{1");
        assert_eq!(render("Привет, {{1}}", &values), "Привет, Anna");
    }

    #[test]
    fn variables_must_match_the_template() {
        assert_eq!(
            validate_variables(2, &[" a ".into(), "b".into()]),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            validate_variables(2, &["a".into()]),
            Err(TemplateError::Count {
                expected: 2,
                given: 1
            })
        );
        assert_eq!(
            validate_variables(1, &["  ".into()]),
            Err(TemplateError::Empty(1))
        );
        assert_eq!(
            validate_variables(1, &["x".repeat(MAX_VARIABLE_CHARS + 1)]),
            Err(TemplateError::TooLong(1))
        );
    }

    fn template(parts: TemplateParts) -> TemplateView {
        TemplateView {
            id: TemplateId(1),
            channel_id: ChannelId(1),
            name: "order_shipped".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            body: "Hi {{1}}".into(),
            variables: 1,
            parts,
        }
    }

    fn choice(header: Option<&str>, buttons: &[&str]) -> TemplateChoice {
        TemplateChoice {
            template_id: TemplateId(1),
            variables: vec!["Anna".into()],
            header: header.map(Into::into),
            buttons: buttons.iter().map(|b| (*b).to_owned()).collect(),
        }
    }

    #[test]
    fn a_media_header_takes_an_https_link_and_shows_it() {
        let t = template(TemplateParts {
            header: Some(TemplateHeader::Image),
            ..TemplateParts::default()
        });
        assert_eq!(validate(&t, &choice(None, &[])), Err(TemplateError::Header));
        assert_eq!(
            validate(&t, &choice(Some("  "), &[])),
            Err(TemplateError::Header)
        );
        for bad in [
            "http://x.test/a.jpg",
            "https://",
            "https:///a",
            "https://x.test/a b.jpg",
            "ftp://x",
        ] {
            assert_eq!(
                validate(&t, &choice(Some(bad), &[])),
                Err(TemplateError::Link),
                "{bad}"
            );
        }
        let sent = validate(&t, &choice(Some(" https://cdn.test/p.jpg "), &[])).expect("valid");
        assert_eq!(
            sent.header,
            Some(HeaderValue::Image("https://cdn.test/p.jpg".into()))
        );
        assert_eq!(render_sent(&t, &sent), "https://cdn.test/p.jpg\nHi Anna");
    }

    #[test]
    fn a_text_header_takes_a_value_only_with_a_placeholder() {
        let fixed = template(TemplateParts {
            header: Some(TemplateHeader::Text {
                text: "Your order".into(),
            }),
            ..TemplateParts::default()
        });
        let sent = validate(&fixed, &choice(None, &[])).expect("no header value needed");
        assert_eq!(sent.header, None);
        assert_eq!(render_sent(&fixed, &sent), "Your order\nHi Anna");

        let open = template(TemplateParts {
            header: Some(TemplateHeader::Text {
                text: "Order {{1}}".into(),
            }),
            ..TemplateParts::default()
        });
        assert_eq!(
            validate(&open, &choice(None, &[])),
            Err(TemplateError::Header)
        );
        let long = "x".repeat(MAX_VARIABLE_CHARS + 1);
        assert_eq!(
            validate(&open, &choice(Some(&long), &[])),
            Err(TemplateError::Header)
        );
        let sent = validate(&open, &choice(Some("#42"), &[])).expect("valid");
        assert_eq!(render_sent(&open, &sent), "Order #42\nHi Anna");
    }

    #[test]
    fn each_button_that_takes_a_value_gets_one() {
        let t = template(TemplateParts {
            buttons: vec![
                TemplateButton {
                    index: 1,
                    kind: ButtonKind::Url,
                    text: "Track".into(),
                    url: "https://t.test/{{1}}".into(),
                },
                TemplateButton {
                    index: 2,
                    kind: ButtonKind::CopyCode,
                    text: "Copy".into(),
                    url: String::new(),
                },
            ],
            ..TemplateParts::default()
        });
        assert_eq!(
            validate(&t, &choice(None, &["A-1"])),
            Err(TemplateError::Button(2))
        );
        assert_eq!(
            validate(&t, &choice(None, &["A-1", " "])),
            Err(TemplateError::Button(2))
        );
        assert_eq!(
            validate(&t, &choice(None, &["A-1", "X", "Y"])),
            Err(TemplateError::Button(3))
        );
        let sent = validate(&t, &choice(None, &[" A-1 ", "SPRING"])).expect("valid");
        assert_eq!(
            sent.buttons,
            vec![
                ButtonValue {
                    index: 1,
                    kind: ButtonKind::Url,
                    value: "A-1".into()
                },
                ButtonValue {
                    index: 2,
                    kind: ButtonKind::CopyCode,
                    value: "SPRING".into()
                },
            ]
        );
    }

    #[test]
    fn an_unsupported_template_is_refused() {
        let t = template(TemplateParts {
            unsupported: Some("location header".into()),
            ..TemplateParts::default()
        });
        assert_eq!(
            validate(&t, &choice(None, &[])),
            Err(TemplateError::Unsupported)
        );
    }
}
