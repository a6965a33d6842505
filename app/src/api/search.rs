//! Search across the dialogs the user may see (C4).

use leptos::prelude::*;

use crate::domain::MessageId;
use crate::domain::search::SearchResults;
use crate::error::AppError;

/// The most messages one search returns.
pub const MAX_MESSAGES: i64 = 50;
/// The most clients one search returns.
pub const MAX_CLIENTS: i64 = 10;

/// Clients and messages matching what was typed, with the matches marked. With `before`
/// (the last message of the page shown), the next page of messages alone.
#[server(endpoint = "search")]
pub async fn search(query: String, before: Option<MessageId>) -> Result<SearchResults, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::search::{Marked, SearchHit, SearchQuery, fragment, mark_within};
            use crate::store;

            let query =
                SearchQuery::parse(&query).map_err(|key| AppError::validation("query", key))?;
            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            let clients = match before {
                None => store::search::clients(&mut conn, &access, &query, MAX_CLIENTS).await?,
                Some(_) => Vec::new(),
            };
            let (messages, more) =
                store::search::messages(&mut conn, &access, &query, before, MAX_MESSAGES).await?;
            let clients = clients
                .into_iter()
                .map(|c| {
                    // The field that matched, when it is not the name.
                    let field = [
                        c.phone.as_deref(),
                        c.username.as_deref(),
                        c.email.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .map(|f| mark_within(f, &query))
                    .find(|m| !m.marks.is_empty())
                    .unwrap_or_default();
                    SearchHit {
                        dialog_id: c.dialog_id,
                        number: c.number,
                        status: c.status,
                        channel_kind: c.channel_kind,
                        client_name: mark_within(&c.name, &query),
                        message_id: None,
                        fragment: field,
                        at: c.last_message_at,
                    }
                })
                .collect();
            let messages = messages
                .into_iter()
                .map(|m| SearchHit {
                    dialog_id: m.dialog_id,
                    number: m.number,
                    status: m.status,
                    channel_kind: m.channel_kind,
                    client_name: Marked {
                        text: m.client_name,
                        marks: Vec::new(),
                    },
                    message_id: Some(m.message_id),
                    fragment: fragment(&m.body, &query),
                    at: m.created_at,
                })
                .collect();
            Ok(SearchResults {
                clients,
                messages,
                more,
            })
        }
        .await,
    )
}
