//! The messages of the open dialog, with day separators; notes in yellow, system messages
//! centred. Bodies are text nodes: nothing a client sends is ever run as markup.

use chrono::Utc;
use leptos::prelude::*;

use crate::api::messages::SendMessage;
use crate::domain::{Direction, MessageKind, MessageView};
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
    let delivery_key = message.delivery.map(|d| format!("delivery.{}", d.as_str()));
    let is_note = message.kind == MessageKind::Note;
    let deleted = message.deleted;
    view! {
        <div
            class=format!("dlg-msg dlg-msg--{modifier}")
            data-message-id=message.id.0
        >
            <Show when=move || is_note>
                <span class="dlg-msg__label">{move || i18n.t("chat.note")}</span>
            </Show>
            <div class="dlg-msg__body">{message.body}</div>
            <div class="dlg-msg__meta">
                {message.author_name.map(|a| view! { <span class="dlg-msg__author">{a}</span> })}
                <time class="dlg-msg__time" datetime=message.created_at.to_rfc3339()>
                    {time}
                </time>
                {delivery_key
                    .map(|key| {
                        view! {
                            <span class="dlg-msg__delivery">{move || i18n.t(&key)}</span>
                        }
                    })}
                <Show when=move || deleted>
                    <span class="dlg-msg__deleted">{move || i18n.t("chat.deleted")}</span>
                </Show>
            </div>
        </div>
    }
}
