//! The messages of the open dialog, with day separators; notes in yellow, system messages
//! centred. Bodies are text nodes: nothing a client sends is ever run as markup.

use chrono::Utc;
use leptos::prelude::*;

use crate::api::messages::{SendMessage, retry_message};
use crate::domain::{AttachmentView, DeliveryState, Direction, MessageKind, MessageView};
use crate::i18n::use_i18n;
use crate::ui::format::{Day, clock, day};
use crate::ui::prefs::PagePrefs;

#[component]
pub fn MessageList(
    messages: Vec<MessageView>,
    has_earlier: bool,
    /// The message being sent right now, shown half-transparent until it is stored.
    pending: Signal<Option<SendMessage>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let prefs = expect_context::<PagePrefs>();
    let now = Utc::now();
    let container = NodeRef::<leptos::html::Div>::new();

    // Newest at the bottom, in view.
    Effect::new(move |_| {
        pending.track();
        if let Some(el) = container.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });

    let mut last_day = None;
    let items = messages
        .into_iter()
        .map(|m| {
            let this_day = day(m.created_at, now, prefs.tz_offset_minutes);
            let separator = (last_day.as_ref() != Some(&this_day)).then(|| {
                let label = this_day.clone();
                view! {
                    <div class="dlg-day">
                        {move || match &label {
                            Day::Today => i18n.t("chat.today"),
                            Day::Yesterday => i18n.t("chat.yesterday"),
                            Day::Date(d) => d.clone(),
                        }}
                    </div>
                }
            });
            last_day = Some(this_day);
            view! {
                {separator}
                <Message message=m offset=prefs.tz_offset_minutes />
            }
        })
        .collect_view();

    view! {
        <div
            class="dlg-chat__messages"
            node_ref=container
            role="log"
            aria-live="polite"
            aria-label=move || i18n.t("chat.messages_label")
        >
            <Show when=move || has_earlier>
                <p class="dlg-day">{move || i18n.t("chat.earlier")}</p>
            </Show>
            {items}
            {move || {
                pending
                    .get()
                    .map(|p| {
                        let note = p.text.trim_start().starts_with('/')
                            || p.mode == crate::domain::ComposerMode::Note;
                        let class = if note {
                            "dlg-msg dlg-msg--note dlg-msg--pending"
                        } else {
                            "dlg-msg dlg-msg--out dlg-msg--pending"
                        };
                        view! {
                            <div class=class>
                                <div class="dlg-msg__body">{p.text.trim().to_owned()}</div>
                            </div>
                        }
                    })
            }}
        </div>
    }
}

#[component]
fn Message(message: MessageView, offset: i32) -> impl IntoView {
    let i18n = use_i18n();
    let modifier = match (message.kind, message.direction) {
        (MessageKind::System, _) => "system",
        (MessageKind::Note, _) => "note",
        (MessageKind::Message, Direction::In) => "in",
        (MessageKind::Message, _) => "out",
    };
    let time = clock(message.created_at, offset);
    let delivery = message.delivery;
    let delivery_key = delivery.map(|d| format!("delivery.{}", d.as_str()));
    let failed = delivery == Some(DeliveryState::Failed);
    let delivery_error = message.delivery_error.clone();
    let is_note = message.kind == MessageKind::Note;
    let deleted = message.deleted;
    let edited = message.edited;
    let id = message.id;
    let retry = Action::new(move |_: &()| retry_message(id));
    let retry_error = move || {
        retry
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| i18n.t(e.key()))
    };
    let files = message
        .attachments
        .into_iter()
        .map(|a| view! { <Attachment file=a /> })
        .collect_view();
    view! {
        <div
            class=format!("dlg-msg dlg-msg--{modifier}")
            class:dlg-msg--failed=failed
            data-message-id=message.id.0
        >
            <Show when=move || is_note>
                <span class="dlg-msg__label">{move || i18n.t("chat.note")}</span>
            </Show>
            {message.sender_name.map(|n| view! { <span class="dlg-msg__sender">{n}</span> })}
            <div class="dlg-msg__body">{message.body}</div>
            <div class="dlg-msg__files">{files}</div>
            <div class="dlg-msg__meta">
                {message.author_name.map(|a| view! { <span class="dlg-msg__author">{a}</span> })}
                <time class="dlg-msg__time" datetime=message.created_at.to_rfc3339()>
                    {time}
                </time>
                <Show when=move || edited>
                    <span class="dlg-msg__edited">{move || i18n.t("chat.edited")}</span>
                </Show>
                {delivery_key
                    .map(|key| {
                        view! {
                            <span
                                class="dlg-msg__delivery"
                                data-delivery=delivery.map(|d| d.as_str())
                                title=delivery_error.clone()
                            >
                                {move || i18n.t(&key)}
                            </span>
                        }
                    })}
                <Show when=move || deleted>
                    <span class="dlg-msg__deleted">{move || i18n.t("chat.deleted")}</span>
                </Show>
            </div>
            <Show when=move || failed>
                <div class="dlg-msg__failure" role="alert">
                    <span>{message.delivery_error.clone().unwrap_or_default()}</span>
                    <button
                        type="button"
                        class="dlg-msg__retry"
                        disabled=move || retry.pending().get()
                        on:click=move |_| {
                            retry.dispatch(());
                        }
                    >
                        {move || i18n.t("delivery.retry")}
                    </button>
                    {retry_error}
                </div>
            </Show>
        </div>
    }
}

/// A file of a message: a picture shown small, anything else a link; "loading" while it is
/// being fetched from the messenger.
#[component]
fn Attachment(file: AttachmentView) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/files/{}", file.id.0);
    let size = file.size_bytes.map(format_size).unwrap_or_default();
    let name = file.file_name.clone();
    match file.state.as_str() {
        "stored" if file.kind == "image" || file.kind == "sticker" => {
            let src = href.clone();
            view! {
                <a class="dlg-file dlg-file--image" href=href target="_blank" rel="noopener">
                    <img src=src alt=name loading="lazy" />
                </a>
            }
            .into_any()
        }
        "stored" => view! {
            <a class="dlg-file" href=href download=name>
                <span class="dlg-file__name">{file.file_name}</span>
                <span class="dlg-file__size">{size}</span>
            </a>
        }
        .into_any(),
        state => {
            let key = if state == "failed" {
                "file.failed"
            } else {
                "file.loading"
            };
            view! {
                <span class=format!("dlg-file dlg-file--{state}")>
                    <span class="dlg-file__name">{file.file_name}</span>
                    <span class="dlg-file__size">{move || i18n.t(key)}</span>
                </span>
            }
            .into_any()
        }
    }
}

fn format_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}
