//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` attributes and the API's types, so it cannot drift from the code.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{ErrorBody, channels, clients, dialogs, files, lines, messages, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dialogs REST API",
        version = "1.0.0",
        description = "Lines, channels, clients, dialogs, messages and outbound webhooks of one \
                       account. Every call but this document needs `Authorization: Bearer <token>` \
                       (`dialogs create-token --email E`); the token acts with its user's rights. \
                       Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`."
    ),
    servers((url = "/api/v1")),
    paths(
        serve,
        lines::list,
        channels::list,
        channels::templates,
        clients::search,
        clients::create,
        clients::get,
        clients::update,
        dialogs::list,
        dialogs::get,
        dialogs::start,
        dialogs::act,
        messages::list,
        messages::send,
        messages::delete,
        messages::star,
        messages::unstar,
        files::upload,
        webhooks::list,
        webhooks::create,
        webhooks::get,
        webhooks::delete,
        webhooks::deliveries,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "lines", description = "Groups of channels with their routing and access rules"),
        (name = "channels", description = "Connected messenger accounts"),
        (name = "clients", description = "People on the other side; bots save what they learn here"),
        (name = "dialogs", description = "Conversations, as the token's user sees them"),
        (name = "messages", description = "Reading and writing in a dialog"),
        (name = "webhooks", description = "Outbound event subscriptions and their delivery log"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// Adds the bearer scheme every operation refers to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        ApiDoc::openapi().to_json().unwrap_or_else(|err| {
            tracing::error!(error = %err, "encoding the OpenAPI document");
            String::from("{}")
        })
    })
}

/// This document. It needs no token.
#[utoipa::path(
    get,
    operation_id = "get_openapi",
    path = "/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_json_with_the_bearer_scheme() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("json");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(doc["components"]["schemas"]["Client"].is_object());
        assert!(doc["paths"]["/dialogs/{id}/messages"]["post"].is_object());
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("json");
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .filter_map(|item| item.as_object())
            .flat_map(|ops| ops.values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all, "{ids:?}");
        assert!(ids.contains(&"send_message"));
    }

    /// Schemas are keyed by type name: two types of one name would silently share one.
    #[test]
    fn each_enum_keeps_its_own_values() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("json");
        let schemas = &doc["components"]["schemas"];
        let values = |name: &str| schemas[name]["enum"].clone();
        assert!(
            values("ChannelKind")
                .as_array()
                .is_some_and(|v| v.contains(&"telegram".into()))
        );
        assert!(
            values("MessageKind")
                .as_array()
                .is_some_and(|v| v.contains(&"system".into()))
        );
        assert!(
            values("NewMessageKind")
                .as_array()
                .is_some_and(|v| v.len() == 2)
        );
        assert!(
            values("DialogStatus")
                .as_array()
                .is_some_and(|v| v.contains(&"in_work".into()))
        );
        assert!(
            values("Direction")
                .as_array()
                .is_some_and(|v| v.contains(&"internal".into()))
        );
        assert!(
            values("DeliveryState")
                .as_array()
                .is_some_and(|v| v.contains(&"read".into()))
        );
        assert_eq!(
            schemas["Dialog"]["properties"]["channel_kind"]["$ref"],
            "#/components/schemas/ChannelKind"
        );
    }
}
