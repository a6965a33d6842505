//! Account roles and per-user preferences.

use serde::{Deserialize, Serialize};

/// The role of a user within their account (A3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "account_role", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Owner,
    Admin,
    Supervisor,
    Operator,
}

impl AccountRole {
    /// Owners and admins administer the whole account and see every dialog.
    pub fn is_admin(self) -> bool {
        matches!(self, AccountRole::Owner | AccountRole::Admin)
    }

    /// Supervisors see every dialog of the account but reply only where a line lets them.
    pub fn sees_everything(self) -> bool {
        !matches!(self, AccountRole::Operator)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Owner => "owner",
            AccountRole::Admin => "admin",
            AccountRole::Supervisor => "supervisor",
            AccountRole::Operator => "operator",
        }
    }
}

impl std::str::FromStr for AccountRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(AccountRole::Owner),
            "admin" => Ok(AccountRole::Admin),
            "supervisor" => Ok(AccountRole::Supervisor),
            "operator" => Ok(AccountRole::Operator),
            other => Err(format!(
                "unknown role {other:?}: expected owner, admin, supervisor or operator"
            )),
        }
    }
}

/// Colour theme (A5). `None` in a preference means "follow the system".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
}

/// UI language (A4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    #[default]
    En,
    Ru,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ru => "ru",
        }
    }

    pub fn parse(s: &str) -> Option<Locale> {
        match s {
            "en" => Some(Locale::En),
            "ru" => Some(Locale::Ru),
            _ => None,
        }
    }

    /// Picks a supported language from an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Locale {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .map(|tag| tag.trim().to_ascii_lowercase())
            .find_map(|tag| Locale::parse(tag.split('-').next().unwrap_or_default()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_first_supported_language() {
        assert_eq!(
            Locale::from_accept_language("ru-RU,ru;q=0.9,en;q=0.8"),
            Locale::Ru
        );
        assert_eq!(Locale::from_accept_language("de-DE, en;q=0.5"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
    }

    #[test]
    fn only_owners_and_admins_administer() {
        assert!(AccountRole::Owner.is_admin());
        assert!(AccountRole::Admin.is_admin());
        assert!(!AccountRole::Supervisor.is_admin());
        assert!(!AccountRole::Operator.is_admin());
        assert!(AccountRole::Supervisor.sees_everything());
        assert!(!AccountRole::Operator.sees_everything());
    }

    #[test]
    fn roles_parse_from_the_command_line_words() {
        assert_eq!("operator".parse::<AccountRole>(), Ok(AccountRole::Operator));
        assert!("root".parse::<AccountRole>().is_err());
    }
}
