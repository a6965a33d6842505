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
}

/// The template an operator chose and the values of its variables, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateChoice {
    pub template_id: TemplateId,
    #[serde(default)]
    pub variables: Vec<String>,
}

/// What a sent template message keeps: enough to send it again and to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentTemplate {
    pub name: String,
    pub language: String,
    pub variables: Vec<String>,
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
}

impl TemplateError {
    /// The message key the forms show.
    pub fn key(self) -> &'static str {
        match self {
            TemplateError::Empty(_) => "template.error.empty",
            TemplateError::TooLong(_) => "template.error.long",
            TemplateError::Count { .. } => "template.error.count",
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
}
