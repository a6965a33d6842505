//! Clients: the bot-builder use of F3. A bot finds the client by phone or email, creates one
//! when none exists, and saves what it learned into `custom_fields`. Phones are stored in
//! E.164 and emails in lower case, the keys the messenger ingest matches people on, so the
//! client a bot creates is the one whose messages arrive later.

use app::domain::ClientId;
use app::domain::inbound::normalize_phone;
use app::store;
use app::store::clients::{ClientChanges, ClientRecord, ClientSearch, NewClient as StoreNewClient};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ApiUser, ErrorBody};
use crate::startup::AppState;

const MAX_NAME_CHARS: usize = 300;
const MAX_COMMENT_CHARS: usize = 10_000;
const MAX_FIELD_KEY_CHARS: usize = 100;
const MAX_FIELDS: usize = 200;
/// The stored fields of one client, serialized (the database checks the same).
const MAX_FIELDS_BYTES: usize = 65_536;

/// A client: the person on the other side of dialogs.
#[derive(Debug, Serialize, ToSchema)]
pub struct Client {
    pub id: i64,
    pub name: String,
    /// E.164, e.g. `+79161234567`.
    pub phone: Option<String>,
    /// Lower case.
    pub email: Option<String>,
    /// A messenger username, without `@`.
    pub username: Option<String>,
    /// Not yet a client (a lead).
    pub is_potential: bool,
    pub marketing_consent: Option<bool>,
    pub staff_comment: String,
    /// Whatever bots and integrations store about the client: one JSON object.
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
    pub blocked: bool,
    pub created_at: DateTime<Utc>,
}

impl From<ClientRecord> for Client {
    fn from(r: ClientRecord) -> Client {
        Client {
            id: r.id.0,
            name: r.name,
            phone: r.phone,
            email: r.email,
            username: r.username,
            is_potential: r.is_potential,
            marketing_consent: r.marketing_consent,
            staff_comment: r.staff_comment,
            custom_fields: r.custom_fields.0,
            blocked: r.blocked,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    pub data: Vec<Client>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A client to create. At least one of name, phone, email or username is needed; without a
/// name the client is called by the first of the others.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub name: Option<String>,
    /// Any common notation; stored in E.164. Without a country code a Russian number is
    /// assumed.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    #[serde(default)]
    pub is_potential: bool,
    pub marketing_consent: Option<bool>,
    #[serde(default)]
    pub staff_comment: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: Map<String, Value>,
}

/// Changes to a client; absent fields stay as they are, `null` clears a nullable one.
/// `custom_fields` is merged key by key: a key set to `null` is removed, others are set.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub username: Option<Option<String>>,
    pub is_potential: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<bool>)]
    pub marketing_consent: Option<Option<bool>>,
    pub staff_comment: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// A present field, `null` included (absent fields get the `default` of None).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Exact phone, in any notation (compared in E.164).
    pub phone: Option<String>,
    /// Exact email, case-insensitive.
    pub email: Option<String>,
    /// Part of the name, phone or email.
    pub query: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Searches the account's clients.
///
/// Newest first; every given criterion must match.
#[utoipa::path(
    get,
    operation_id = "search_clients",
    path = "/clients",
    tag = "clients",
    params(ClientQuery),
    responses(
        (status = 200, description = "A page of clients", body = ClientList),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    api: ApiUser,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult<Json<ClientList>> {
    allowed(&api)?;
    let phone = match q.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => Some(normalize_phone(raw).ok_or_else(bad_phone)?),
        None => None,
    };
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(ClientId(c.parse().map_err(|_| {
            ApiError::validation("cursor", "The cursor is not one this API gave.")
        })?)),
        None => None,
    };
    let search = ClientSearch {
        phone,
        email: q
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty()),
        query: q
            .query
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        before,
        limit: super::limit(q.limit, 50)?,
    };
    let (rows, more) = store::clients::search(&state.pool, api.access.account_id, &search).await?;
    let next_cursor = more
        .then(|| rows.last().map(|r| r.id.0.to_string()))
        .flatten();
    Ok(Json(ClientList {
        data: rows.into_iter().map(Client::from).collect(),
        next_cursor,
    }))
}

/// Creates a client.
///
/// A phone or email that already belongs to a client of the account is a `409` naming the
/// field: look the client up and update it instead.
#[utoipa::path(
    post,
    operation_id = "create_client",
    path = "/clients",
    tag = "clients",
    request_body = NewClient,
    responses(
        (status = 201, description = "The new client", body = Client),
        (status = 400, description = "A field is invalid, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 409, description = "Another client has this phone or email", body = ErrorBody),
        (status = 422, description = "The JSON has the wrong shape", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    api: ApiUser,
    ApiJson(body): ApiJson<NewClient>,
) -> ApiResult<(StatusCode, Json<Client>)> {
    allowed(&api)?;
    let phone = optional_phone(body.phone.as_deref())?;
    let email = optional_email(body.email.as_deref())?;
    let username = optional_username(body.username.as_deref())?;
    let name = match body
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(name) => checked_name(name)?,
        None => username
            .clone()
            .or_else(|| phone.clone())
            .or_else(|| email.clone())
            .ok_or_else(|| {
                ApiError::validation("name", "Give at least a name, phone, email or username.")
            })?,
    };
    let staff_comment = checked_comment(&body.staff_comment)?;
    check_fields(&body.custom_fields)?;
    let account = api.access.account_id;
    let mut tx = state.pool.begin().await?;
    store::clients::lock_contacts(&mut tx, account, phone.as_deref(), email.as_deref()).await?;
    taken(&mut tx, account, phone.as_deref(), email.as_deref(), None).await?;
    let record = store::clients::create(
        &mut *tx,
        account,
        &StoreNewClient {
            name,
            phone,
            username,
            email,
            is_potential: body.is_potential,
            marketing_consent: body.marketing_consent,
            staff_comment,
            custom_fields: body.custom_fields,
        },
    )
    .await
    .map_err(fields_too_large)?;
    tx.commit().await?;
    tracing::info!(client = %record.id, user = %api.user.user_id, "client created through the API");
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// One client of the account.
#[utoipa::path(
    get,
    operation_id = "get_client",
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = i64, Path, description = "The client's id")),
    responses(
        (status = 200, description = "The client", body = Client),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such client in this account", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Client>> {
    allowed(&api)?;
    let record = store::clients::get(&state.pool, api.access.account_id, ClientId(id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(record.into()))
}

/// Changes a client.
///
/// Only the fields given change; `custom_fields` are merged key by key.
#[utoipa::path(
    patch,
    operation_id = "update_client",
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = i64, Path, description = "The client's id")),
    request_body = ClientPatch,
    responses(
        (status = 200, description = "The client as it is now", body = Client),
        (status = 400, description = "A field is invalid, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such client in this account", body = ErrorBody),
        (status = 409, description = "Another client has this phone or email", body = ErrorBody),
        (status = 422, description = "The JSON has the wrong shape", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ClientPatch>,
) -> ApiResult<Json<Client>> {
    allowed(&api)?;
    let id = ClientId(id);
    let name = match body.name.as_deref() {
        Some(name) => Some(checked_name(name.trim())?),
        None => None,
    };
    let phone = match &body.phone {
        Some(p) => Some(optional_phone(p.as_deref())?),
        None => None,
    };
    let email = match &body.email {
        Some(e) => Some(optional_email(e.as_deref())?),
        None => None,
    };
    let username = match &body.username {
        Some(u) => Some(optional_username(u.as_deref())?),
        None => None,
    };
    let staff_comment = match &body.staff_comment {
        Some(c) => Some(checked_comment(c)?),
        None => None,
    };
    if let Some(fields) = &body.custom_fields {
        check_fields(fields)?;
    }
    let account = api.access.account_id;
    let new_phone = phone.clone().flatten();
    let new_email = email.clone().flatten();
    let mut tx = state.pool.begin().await?;
    store::clients::lock_contacts(&mut tx, account, new_phone.as_deref(), new_email.as_deref())
        .await?;
    if store::clients::get(&mut *tx, account, id).await?.is_none() {
        return Err(ApiError::not_found());
    }
    taken(
        &mut tx,
        account,
        new_phone.as_deref(),
        new_email.as_deref(),
        Some(id),
    )
    .await?;
    let changes = ClientChanges {
        name,
        phone,
        username,
        email,
        is_potential: body.is_potential,
        marketing_consent: body.marketing_consent,
        staff_comment,
        custom_fields: body.custom_fields,
    };
    let record = store::clients::update(&mut *tx, account, id, &changes)
        .await
        .map_err(fields_too_large)?
        .ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(record.into()))
}

fn allowed(api: &ApiUser) -> ApiResult<()> {
    if api.access.can_manage_clients() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "This token's user may not manage clients.",
        ))
    }
}

/// `409` when another client of the account already has this phone or email.
async fn taken(
    conn: &mut sqlx::PgConnection,
    account: app::domain::AccountId,
    phone: Option<&str>,
    email: Option<&str>,
    except: Option<ClientId>,
) -> ApiResult<()> {
    match store::clients::find_by_contact(&mut *conn, account, phone, email, except).await? {
        Some((other, field)) => Err(ApiError::conflict(
            field,
            format!("Client {other} already has this {field}; update that client instead."),
        )),
        None => Ok(()),
    }
}

fn bad_phone() -> ApiError {
    ApiError::validation(
        "phone",
        "Not a valid phone number; use the international format, e.g. +79161234567.",
    )
}

fn checked_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::validation("name", "The name must not be empty."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::validation(
            "name",
            format!("The name is longer than {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(name.to_owned())
}

fn checked_comment(comment: &str) -> ApiResult<String> {
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(ApiError::validation(
            "staff_comment",
            format!("The comment is longer than {MAX_COMMENT_CHARS} characters."),
        ));
    }
    Ok(comment.trim().to_owned())
}

/// None for an absent or blank phone; E.164 for a valid one; `400` otherwise.
fn optional_phone(raw: Option<&str>) -> ApiResult<Option<String>> {
    match raw.map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => normalize_phone(raw).map(Some).ok_or_else(bad_phone),
        None => Ok(None),
    }
}

fn optional_email(raw: Option<&str>) -> ApiResult<Option<String>> {
    let Some(email) = raw.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let email = email.to_lowercase();
    let valid = email.len() <= 320
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if valid {
        Ok(Some(email))
    } else {
        Err(ApiError::validation(
            "email",
            "Not a valid email address, e.g. maria@example.com.",
        ))
    }
}

fn optional_username(raw: Option<&str>) -> ApiResult<Option<String>> {
    let Some(username) = raw
        .map(|u| u.trim().trim_start_matches('@'))
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    if username.chars().count() > 200 || username.chars().any(char::is_whitespace) {
        return Err(ApiError::validation(
            "username",
            "A username is one word of at most 200 characters.",
        ));
    }
    Ok(Some(username.to_owned()))
}

fn check_fields(fields: &Map<String, Value>) -> ApiResult<()> {
    if fields.len() > MAX_FIELDS {
        return Err(ApiError::validation(
            "custom_fields",
            format!("At most {MAX_FIELDS} custom fields."),
        ));
    }
    if let Some(key) = fields
        .keys()
        .find(|k| k.trim().is_empty() || k.chars().count() > MAX_FIELD_KEY_CHARS)
    {
        return Err(ApiError::validation(
            "custom_fields",
            format!("Field name {key:?} must have 1 to {MAX_FIELD_KEY_CHARS} characters."),
        ));
    }
    let size = serde_json::to_vec(fields)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_FIELDS_BYTES {
        return Err(ApiError::validation(
            "custom_fields",
            format!("The custom fields take more than {MAX_FIELDS_BYTES} bytes as JSON."),
        ));
    }
    Ok(())
}

/// A merge that would make the stored fields too large is refused by the database.
fn fields_too_large(err: sqlx::Error) -> ApiError {
    match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("clients_custom_fields_size") => {
            ApiError::validation(
                "custom_fields",
                format!("The custom fields would take more than {MAX_FIELDS_BYTES} bytes as JSON."),
            )
        }
        _ => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_tells_absent_from_null() {
        let patch: ClientPatch =
            serde_json::from_str(r#"{"phone": null, "custom_fields": {"a": 1}}"#).unwrap();
        assert_eq!(patch.phone, Some(None));
        assert_eq!(patch.email, None);
        assert!(patch.custom_fields.is_some());
        assert!(serde_json::from_str::<ClientPatch>(r#"{"nmae": "x"}"#).is_err());
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            optional_email(Some(" Maria@Example.COM ")).unwrap(),
            Some("maria@example.com".to_owned())
        );
        assert_eq!(optional_email(Some("")).unwrap(), None);
        assert!(optional_email(Some("maria")).is_err());
        assert!(optional_email(Some("a b@example.com")).is_err());
        assert!(optional_email(Some("a@localhost")).is_err());
    }

    #[test]
    fn usernames_lose_their_at_sign() {
        assert_eq!(
            optional_username(Some("@maria")).unwrap(),
            Some("maria".to_owned())
        );
        assert!(optional_username(Some("two words")).is_err());
    }
}
