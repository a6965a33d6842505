//! Lines and channel connections as administrators edit them (B1, B4).

use serde::{Deserialize, Serialize};

use super::{ChannelId, ChannelKind, LineId};

/// A line with the settings B4 names. `id` is None for a line being created.
/// Switches left out of a request are off (as an unchecked checkbox is).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LineSettings {
    pub id: Option<LineId>,
    pub name: String,
    /// Incoming messages are leads (appeals) for the CRM.
    pub incoming_are_leads: bool,
    /// Closing a dialog asks for a reason.
    pub close_requires_reason: bool,
    /// Unknown senders become clients; otherwise potential clients.
    pub unknown_become_clients: bool,
    /// Every user may read this line's dialogs.
    pub all_users_may_view: bool,
}

impl LineSettings {
    /// The longest line name.
    pub const MAX_NAME: usize = 200;

    /// The settings as stored: the name trimmed and checked. Err names the field and the
    /// message key.
    pub fn validated(mut self) -> Result<LineSettings, (&'static str, &'static str)> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(("name", "settings.error.name_empty"));
        }
        if self.name.chars().count() > Self::MAX_NAME {
            return Err(("name", "settings.error.name_long"));
        }
        Ok(self)
    }
}

/// A channel as the settings page lists it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSettings {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: String,
    pub line_id: Option<LineId>,
    pub enabled: bool,
    /// Email channels reading an IMAP mailbox: how the last poll went.
    #[serde(default)]
    pub mail: Option<MailStatus>,
    /// Events of this channel kept aside in the last 30 days: webhooks the database refused,
    /// emails too large to take.
    #[serde(default)]
    pub dead_letters: i64,
}

/// A webhook event (or an email) the channel kept aside: what the database refused or what
/// was too large, with the reason and the start of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterView {
    pub id: i64,
    /// The event's position in its webhook body.
    pub event_index: i32,
    pub error: String,
    pub excerpt: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// How an email channel's IMAP mailbox was last read (B5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailStatus {
    pub last_polled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the last poll failed, or what it skipped.
    pub last_error: Option<String>,
    /// A poll is under way or due now.
    pub busy: bool,
}

/// What the settings page shows an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// The lines this user administers.
    pub lines: Vec<LineSettings>,
    /// Channels on those lines, and channels on no line (for owners and admins).
    pub channels: Vec<ChannelSettings>,
    /// Owners and admins create lines and connect channels.
    pub can_create: bool,
}

/// A Telegram bot just connected: what the administrator needs to point the bot's webhook
/// at this channel (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedTelegram {
    pub channel_id: ChannelId,
    /// Path of the channel's webhook, to be prefixed with the app's public address.
    pub webhook_path: String,
    /// The secret Telegram must send in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret: String,
}

/// A WhatsApp Cloud API number, a mailbox or an API integration to connect (B2), as the
/// settings form sends it: one flat form, the fields of `kind` filled in. Secrets go to the
/// channel's credentials and are never shown again.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelForm {
    /// `whatsapp`, `email` or `webhook` (the API channel).
    pub kind: String,
    pub line_id: Option<LineId>,
    pub name: String,
    // WhatsApp Cloud API
    pub phone_number_id: String,
    pub business_account_id: String,
    pub access_token: String,
    pub app_secret: String,
    // Email
    pub from_address: String,
    pub from_name: String,
    pub smtp_host: String,
    pub smtp_port: String,
    /// `starttls` (default), `tls` or `none`.
    pub smtp_tls: String,
    pub smtp_username: String,
    pub smtp_password: String,
    pub default_subject: String,
    /// Leave empty to receive mail through the inbound-mail webhook only.
    pub imap_host: String,
    pub imap_port: String,
    /// `tls` (default), `starttls` or `none`.
    pub imap_tls: String,
    pub imap_username: String,
    pub imap_password: String,
    pub imap_folder: String,
    pub poll_seconds: String,
    // API channel
    /// Where replies are posted.
    pub url: String,
}

/// A validated `ChannelForm`: what to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub line_id: LineId,
    pub name: String,
    /// The channel's `settings` (shown to administrators).
    pub settings: serde_json::Value,
    /// The channel's `credentials` (never shown), without the generated secret.
    pub credentials: serde_json::Value,
    /// The credential the server generates and shows once: WhatsApp's `verify_token`, the
    /// email webhook's `inbound_secret`, the API channel's signing `secret`.
    pub generated: &'static str,
}

/// A channel just connected: where its webhook is and the secret shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedChannel {
    pub channel_id: ChannelId,
    pub kind: ChannelKind,
    pub webhook_path: String,
    /// What the secret is for: a message key.
    pub secret_label: String,
    pub secret: String,
}

type FieldError = (&'static str, &'static str);

fn required<'a>(value: &'a str, field: &'static str, max: usize) -> Result<&'a str, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err((field, "settings.error.required"));
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err((field, "settings.error.too_long"));
    }
    Ok(value)
}

fn graph_id<'a>(value: &'a str, field: &'static str) -> Result<&'a str, FieldError> {
    let value = required(value, field, 64)?;
    if value.chars().all(|c| c.is_ascii_digit()) {
        Ok(value)
    } else {
        Err((field, "settings.error.graph_id"))
    }
}

/// A host name or address: letters, digits, dots, dashes (and colons for IPv6).
fn host<'a>(value: &'a str, field: &'static str) -> Result<&'a str, FieldError> {
    let value = required(value, field, 253)?;
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    {
        Ok(value)
    } else {
        Err((field, "settings.error.host"))
    }
}

impl ChannelForm {
    /// Checks the form; Err names the field and the message key.
    pub fn validated(&self) -> Result<NewChannel, FieldError> {
        use serde_json::json;
        let line_id = self.line_id.ok_or(("line_id", "settings.error.no_line"))?;
        let name = required(&self.name, "name", 200)?.to_owned();
        match self.kind.as_str() {
            "whatsapp" => Ok(NewChannel {
                kind: ChannelKind::Whatsapp,
                line_id,
                name,
                settings: json!({
                    "phone_number_id": graph_id(&self.phone_number_id, "phone_number_id")?,
                    "business_account_id": graph_id(&self.business_account_id, "business_account_id")?,
                }),
                credentials: json!({
                    "access_token": required(&self.access_token, "access_token", 1000)?,
                    "app_secret": required(&self.app_secret, "app_secret", 200)?,
                }),
                generated: "verify_token",
            }),
            "email" => {
                let from = super::start::valid_email(&self.from_address)
                    .ok_or(("from_address", "start.error.email"))?;
                let port = match self.smtp_port.trim() {
                    "" => 587,
                    p => p
                        .parse::<u16>()
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or(("smtp_port", "settings.error.port"))?,
                };
                let tls = match self.smtp_tls.trim() {
                    "" | "starttls" => "starttls",
                    "tls" => "tls",
                    "none" => "none",
                    _ => return Err(("smtp_tls", "settings.error.tls")),
                };
                let mut settings = json!({
                    "from_address": from,
                    "smtp_host": host(&self.smtp_host, "smtp_host")?,
                    "smtp_port": port,
                    "smtp_tls": tls,
                });
                for (key, value, max) in [
                    ("from_name", &self.from_name, 200),
                    ("default_subject", &self.default_subject, 500),
                ] {
                    if !value.trim().is_empty() {
                        settings[key] = json!(required(value, key, max)?);
                    }
                }
                let mut credentials = json!({});
                if !self.imap_host.trim().is_empty() {
                    let tls = match self.imap_tls.trim() {
                        "" | "tls" => "tls",
                        "starttls" => "starttls",
                        "none" => "none",
                        _ => return Err(("imap_tls", "settings.error.tls")),
                    };
                    let port = match self.imap_port.trim() {
                        "" if tls == "tls" => 993,
                        "" => 143,
                        p => p
                            .parse::<u16>()
                            .ok()
                            .filter(|p| *p > 0)
                            .ok_or(("imap_port", "settings.error.port"))?,
                    };
                    let every = match self.poll_seconds.trim() {
                        "" => 60,
                        s => s
                            .parse::<u64>()
                            .ok()
                            .filter(|s| (10..=86_400).contains(s))
                            .ok_or(("poll_seconds", "settings.error.poll"))?,
                    };
                    let folder = match self.imap_folder.trim() {
                        "" => "INBOX",
                        f => required(f, "imap_folder", 200)?,
                    };
                    settings["imap_host"] = json!(host(&self.imap_host, "imap_host")?);
                    settings["imap_port"] = json!(port);
                    settings["imap_tls"] = json!(tls);
                    settings["imap_username"] =
                        json!(required(&self.imap_username, "imap_username", 320)?);
                    settings["imap_folder"] = json!(folder);
                    settings["poll_seconds"] = json!(every);
                    credentials["imap_password"] = json!(self.imap_password);
                }
                if !self.smtp_username.trim().is_empty() {
                    credentials["smtp_username"] =
                        json!(required(&self.smtp_username, "smtp_username", 320)?);
                    credentials["smtp_password"] = json!(self.smtp_password);
                }
                Ok(NewChannel {
                    kind: ChannelKind::Email,
                    line_id,
                    name,
                    settings,
                    credentials,
                    generated: "inbound_secret",
                })
            }
            "webhook" => {
                let url = required(&self.url, "url", 2000)?;
                let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
                let rest = url.split_once("://").map(|(_, r)| r).unwrap_or("");
                if !scheme_ok || rest.is_empty() || rest.starts_with('/') || url.contains(' ') {
                    return Err(("url", "settings.error.url"));
                }
                Ok(NewChannel {
                    kind: ChannelKind::Webhook,
                    line_id,
                    name,
                    settings: json!({ "url": url }),
                    credentials: json!({}),
                    generated: "secret",
                })
            }
            _ => Err(("kind", "settings.error.kind")),
        }
    }
}

/// A Telegram bot token: `<digits>:<35 or so characters>`.
pub fn valid_bot_token(token: &str) -> bool {
    let Some((id, key)) = token.trim().split_once(':') else {
        return false;
    };
    !id.is_empty()
        && id.chars().all(|c| c.is_ascii_digit())
        && (20..=100).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_name_is_trimmed_and_must_not_be_empty_or_too_long() {
        let line = LineSettings {
            name: "  Sales  ".into(),
            ..Default::default()
        };
        assert_eq!(line.validated().map(|l| l.name), Ok("Sales".into()));
        let empty = LineSettings {
            name: "   ".into(),
            ..Default::default()
        };
        assert_eq!(
            empty.validated(),
            Err(("name", "settings.error.name_empty"))
        );
        let long = LineSettings {
            name: "x".repeat(201),
            ..Default::default()
        };
        assert_eq!(long.validated(), Err(("name", "settings.error.name_long")));
    }

    fn form(kind: &str) -> ChannelForm {
        ChannelForm {
            kind: kind.into(),
            line_id: Some(LineId(1)),
            name: " Support WA ".into(),
            phone_number_id: "1065550001".into(),
            business_account_id: "2065550002".into(),
            access_token: "EAAG".into(),
            app_secret: "abc".into(),
            from_address: "Help@Acme.test".into(),
            smtp_host: "smtp.acme.test".into(),
            url: "https://bots.acme.test/dialogs".into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_kind_keeps_its_settings_and_secrets_apart() {
        let wa = form("whatsapp").validated().expect("whatsapp");
        assert_eq!(wa.kind, ChannelKind::Whatsapp);
        assert_eq!(wa.name, "Support WA");
        assert_eq!(wa.settings["business_account_id"], "2065550002");
        assert_eq!(wa.credentials["access_token"], "EAAG");
        assert!(wa.settings.get("access_token").is_none());
        assert_eq!(wa.generated, "verify_token");

        let mut with_imap = form("email");
        with_imap.imap_host = "imap.acme.test".into();
        with_imap.imap_username = "help@acme.test".into();
        with_imap.imap_password = "pw".into();
        let imap = with_imap.validated().expect("imap");
        assert_eq!(imap.settings["imap_port"], 993);
        assert_eq!(imap.settings["imap_folder"], "INBOX");
        assert_eq!(imap.settings["poll_seconds"], 60);
        assert_eq!(imap.credentials["imap_password"], "pw");
        assert!(imap.settings.get("imap_password").is_none());
        with_imap.poll_seconds = "5".into();
        assert_eq!(
            with_imap.validated(),
            Err(("poll_seconds", "settings.error.poll"))
        );
        with_imap.poll_seconds = String::new();
        with_imap.imap_username = String::new();
        assert_eq!(
            with_imap.validated(),
            Err(("imap_username", "settings.error.required"))
        );

        let email = form("email").validated().expect("email");
        assert_eq!(email.settings["from_address"], "help@acme.test");
        assert_eq!(email.settings["smtp_port"], 587);
        assert_eq!(email.settings["smtp_tls"], "starttls");
        assert_eq!(email.credentials, serde_json::json!({}));

        let api = form("webhook").validated().expect("api");
        assert_eq!(api.settings["url"], "https://bots.acme.test/dialogs");
        assert_eq!(api.generated, "secret");
    }

    #[test]
    fn bad_fields_are_named() {
        let mut f = form("whatsapp");
        f.phone_number_id = "+1 555".into();
        assert_eq!(
            f.validated(),
            Err(("phone_number_id", "settings.error.graph_id"))
        );
        let mut f = form("email");
        f.smtp_port = "99999".into();
        assert_eq!(f.validated(), Err(("smtp_port", "settings.error.port")));
        let mut f = form("email");
        f.smtp_host = "smtp host; rm".into();
        assert_eq!(f.validated(), Err(("smtp_host", "settings.error.host")));
        let mut f = form("email");
        f.from_address = "nobody".into();
        assert_eq!(f.validated(), Err(("from_address", "start.error.email")));
        let mut f = form("webhook");
        f.url = "ftp://x".into();
        assert_eq!(f.validated(), Err(("url", "settings.error.url")));
        let mut f = form("webhook");
        f.line_id = None;
        assert_eq!(f.validated(), Err(("line_id", "settings.error.no_line")));
        assert_eq!(
            form("viber").validated(),
            Err(("kind", "settings.error.kind"))
        );
        let mut f = form("whatsapp");
        f.access_token = "  ".into();
        assert_eq!(
            f.validated(),
            Err(("access_token", "settings.error.required"))
        );
    }

    #[test]
    fn bot_tokens_look_like_telegrams() {
        assert!(valid_bot_token(
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
        ));
        assert!(!valid_bot_token("123456789"));
        assert!(!valid_bot_token("abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!valid_bot_token("123:short"));
        assert!(!valid_bot_token("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs w"));
    }
}

/// A REST API token as administrators see it: never the token itself, which is shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    /// The user the token acts as, with that user's rights.
    pub user_id: super::UserId,
    pub user_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The account's tokens, and the users a new one may act as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokens {
    pub tokens: Vec<ApiTokenView>,
    pub users: Vec<super::start::UserOption>,
}

/// The longest token name.
pub const MAX_TOKEN_NAME: usize = 200;

/// A token's name as stored: trimmed, 1 to 200 characters. Err is the message key.
pub fn token_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() {
        return Err("settings.error.name_empty");
    }
    if name.chars().count() > MAX_TOKEN_NAME {
        return Err("settings.error.name_long");
    }
    Ok(name.to_owned())
}
