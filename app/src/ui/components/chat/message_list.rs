//! The messages of the open dialog, with day separators; notes in yellow, system messages
//! centred. Bodies are text nodes: nothing a client sends is ever run as markup.

use chrono::Utc;
use leptos::prelude::*;

use crate::api::messages::{SendMessage, retry_message};
use crate::domain::{
    AttachmentView, DeliveryState, DialogId, DialogStatus, DialogView, Direction, MessageId,
    MessageKind, MessageView, OtherDialog,
};
use crate::i18n::use_i18n;
use crate::ui::components::chat::message_menu::{ChatContext, MessageMenuButton};
use crate::ui::components::common::StatusBadge;
use crate::ui::format::{Day, clock, day};
use crate::ui::prefs::PagePrefs;

/// How near an end of the list (in pixels) scrolling loads the messages beyond it.
const LOAD_MARGIN: i32 = 300;

#[component]
pub fn MessageList(
    messages: Vec<MessageView>,
    has_earlier: bool,
    /// Newer messages exist: a long dialog shown as a window.
    #[prop(optional)]
    has_later: bool,
    /// The message the window opened at, brought into view once.
    #[prop(optional_no_strip)]
    anchor: Option<MessageId>,
    /// Whether the anchor is a found or first unread message (marked and brought into
    /// view), rather than where the reader moved the window to.
    #[prop(default = true)]
    found: bool,
    /// The client's other dialogs: expandable at the top (D7), or, in single-window mode
    /// (D8), the dialogs whose messages the history shows.
    #[prop(optional)]
    other_dialogs: Vec<OtherDialog>,
    /// The open dialog.
    current: DialogView,
    /// The message being sent right now, shown half-transparent until it is stored.
    pending: Signal<Option<SendMessage>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let prefs = expect_context::<PagePrefs>();
    let ctx = use_context::<ChatContext>();
    let now = Utc::now();
    let container = NodeRef::<leptos::html::Div>::new();
    let single_window = current.single_window;
    // The list's element while this list is drawn; `None` once it was replaced (a frame or
    // a scroll event may still arrive after the next list took its place).
    let element = move || container.try_get_untracked().flatten();
    let first_id = messages.first().map(|m| m.id);
    let last_id = messages.last().map(|m| m.id);
    // Where a message is, from the list's visible top edge.
    let offset_of = move |id: MessageId| -> Option<i32> {
        let el = element()?;
        let target = drawn_message(&el, id)?;
        Some(target.offset_top() - el.scroll_top())
    };

    // Newest at the bottom, in view; where the reader was when earlier messages were
    // drawn above.
    Effect::new(move |_| {
        pending.track();
        let Some(el) = container.get() else { return };
        if let Some(from_bottom) =
            ctx.and_then(|c| c.keep_scroll.try_update_value(Option::take).flatten())
        {
            el.set_scroll_top(el.scroll_height() - from_bottom);
            return;
        }
        // The window moved: the message at its edge stays where the reader saw it.
        if let Some((id, offset)) =
            ctx.and_then(|c| c.keep_at.try_update_value(Option::take).flatten())
            && let Some(target) = drawn_message(&el, id)
        {
            el.set_scroll_top(target.offset_top() - offset);
            return;
        }
        // A long dialog's window: its anchor comes into view once (after the new list is in
        // the page); after that the list stays where the reader left it (at the bottom when
        // they were there).
        if let (Some(ctx), Some(anchor)) = (ctx, anchor) {
            if ctx.anchored.get_value() != Some(anchor) {
                ctx.anchored.set_value(Some(anchor));
                request_animation_frame(move || {
                    let Some(el) = element() else {
                        return;
                    };
                    let Some(target) = drawn_message(&el, anchor) else {
                        return;
                    };
                    // The list is positioned, so a message's offset is within it.
                    el.set_scroll_top(target.offset_top() - el.client_height() / 3);
                    let _ = target.class_list().add_1("dlg-msg--flash");
                });
                return;
            }
            match ctx.last_scroll.get_value() {
                Some((_, true)) if !has_later => el.set_scroll_top(el.scroll_height()),
                Some((top, _)) => el.set_scroll_top(top),
                None => {}
            }
            return;
        }
        el.set_scroll_top(el.scroll_height());
    });
    // One wider window asked for per drawn list: scrolling on while it loads asks nothing
    // more (the next list drawn asks again).
    let asked = StoredValue::new(false);
    // Moving the window keeps the message at its edge in place, and does not mark it.
    let keep = move |ctx: ChatContext, edge: MessageId| {
        ctx.keep_at
            .set_value(offset_of(edge).map(|offset| (edge, offset)));
        ctx.anchored.set_value(Some(edge));
    };
    // Earlier (`true`) or later messages: the window grows, or moves to the edge.
    let load_beyond = move |earlier: bool| {
        let edge = if earlier { first_id } else { last_id };
        let (Some(ctx), Some(edge)) = (ctx, edge) else {
            return;
        };
        if asked.try_get_value() != Some(false) {
            return;
        }
        asked.set_value(true);
        let now = ctx.window.get_untracked();
        let next = if earlier {
            now.earlier(edge)
        } else {
            now.later(edge)
        };
        if next.moves_from(now) {
            keep(ctx, edge);
        } else if earlier && let Some(el) = element() {
            // Drawn above: the reader stays as far from the bottom as they were.
            ctx.keep_scroll
                .set_value(Some(el.scroll_height() - el.scroll_top()));
        }
        ctx.window.set(next);
    };
    let on_scroll = move |_| {
        let (Some(ctx), Some(el)) = (ctx, element()) else {
            return;
        };
        let from_bottom = el.scroll_height() - el.scroll_top() - el.client_height();
        ctx.last_scroll
            .set_value(Some((el.scroll_top(), from_bottom <= 40)));
        // Earlier and later messages load as the reader nears either end.
        if has_earlier && el.scroll_top() < LOAD_MARGIN {
            load_beyond(true);
        } else if has_later && from_bottom < LOAD_MARGIN {
            load_beyond(false);
        }
    };

    // In one history, a line names the dialog each run of messages belongs to.
    let label_of = {
        let others = other_dialogs.clone();
        move |id: DialogId| -> Option<HistoryLabel> {
            if id == current.id {
                return Some(HistoryLabel {
                    id,
                    number: current.number,
                    channel: current.channel_name.clone(),
                    status: current.status,
                    this: true,
                });
            }
            others.iter().find(|d| d.id == id).map(|d| HistoryLabel {
                id,
                number: d.number,
                channel: d.channel_name.clone(),
                status: d.status,
                this: false,
            })
        }
    };

    let mut last_day = None;
    let mut last_dialog = None;
    let items = messages
        .into_iter()
        .map(|m| {
            let dialog_line = (single_window && last_dialog != Some(m.dialog_id))
                .then(|| label_of(m.dialog_id))
                .flatten()
                .map(|label| view! { <HistoryDialog label /> });
            if dialog_line.is_some() {
                // A new dialog starts with its date again.
                last_day = None;
            }
            last_dialog = Some(m.dialog_id);
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
            let found = found && anchor == Some(m.id);
            view! {
                {dialog_line}
                {separator}
                <Message message=m offset=prefs.tz_offset_minutes menu=true found />
            }
        })
        .collect_view();

    let others = (!single_window && !other_dialogs.is_empty())
        .then(|| view! { <OtherDialogs dialogs=other_dialogs /> });
    view! {
        <div
            class="dlg-chat__messages"
            class:dlg-chat__messages--selecting=move || {
                ctx.is_some_and(|c| c.selected.with(Option::is_some))
            }
            node_ref=container
            on:scroll=on_scroll
            role="log"
            aria-live="polite"
            aria-label=move || i18n.t("chat.messages_label")
        >
            {others}
            <Show when=move || has_earlier>
                <button type="button" class="dlg-chat__earlier" on:click=move |_| load_beyond(true)>
                    {move || i18n.t("chat.earlier")}
                </button>
            </Show>
            {items}
            <Show when=move || has_later>
                <button type="button" class="dlg-chat__earlier dlg-chat__later" on:click=move |_| load_beyond(false)>
                    {move || i18n.t("chat.later")}
                </button>
            </Show>
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

/// Which dialog a run of messages in one history belongs to (D8).
#[derive(Debug, Clone)]
struct HistoryLabel {
    id: DialogId,
    number: i64,
    channel: String,
    status: DialogStatus,
    this: bool,
}

#[component]
fn HistoryDialog(label: HistoryLabel) -> impl IntoView {
    let i18n = use_i18n();
    let number = label.number.to_string();
    let this = label.this;
    let id = label.id;
    view! {
        <div class="dlg-history" class:dlg-history--this=this data-dialog-id=id.0>
            <span class="dlg-history__name">
                {move || i18n.t_with("chat.history_dialog", &[("n", &number)])}
            </span>
            <span class="dlg-history__channel">{label.channel}</span>
            <StatusBadge status=label.status />
            {if this {
                view! { <span class="dlg-history__this">{move || i18n.t("chat.history_this")}</span> }
                    .into_any()
            } else {
                view! {
                    <a class="dlg-history__open" href=format!("/dialogs/{id}")>
                        {move || i18n.t("chat.open_dialog")}
                    </a>
                }
                    .into_any()
            }}
        </div>
    }
}

#[component]
fn Message(
    message: MessageView,
    offset: i32,
    /// Offers the message menu (not on the read-only history of other dialogs).
    #[prop(optional)]
    menu: bool,
    /// The message a search or the first unread opened the dialog at.
    #[prop(optional)]
    found: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = use_context::<ChatContext>().filter(|_| menu && message.kind != MessageKind::System);
    let for_menu = message.clone();
    let on_context = move |ev: leptos::ev::MouseEvent| {
        if let Some(ctx) = ctx {
            ev.prevent_default();
            ctx.menu.set(Some((
                for_menu.clone(),
                Some((ev.client_x(), ev.client_y())),
            )));
        }
    };
    let more = ctx.map(|_| view! { <MessageMenuButton message=message.clone() /> });
    // Selecting messages (D8): a box on each; a click on the bubble ticks it too.
    let message_id = message.id;
    let picked = move || {
        ctx.and_then(|c| {
            c.selected
                .with(|s| s.as_ref().map(|s| s.contains(&message_id)))
        })
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(ctx) = ctx else { return };
        if picked().is_none() {
            return;
        }
        let on_control = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .and_then(|el| el.closest("a, button, input").ok().flatten())
            .is_some();
        if !on_control {
            ctx.toggle_selected(message_id);
        }
    };
    let checkbox = move || {
        picked().map(|checked| {
            view! {
                <input
                    type="checkbox"
                    class="dlg-msg__select"
                    prop:checked=checked
                    aria-label=move || i18n.t("selection.toggle")
                    on:change=move |_| {
                        if let Some(ctx) = ctx {
                            ctx.toggle_selected(message_id);
                        }
                    }
                />
            }
        })
    };
    let quoted = message.reply_to.clone().map(|q| {
        let author = q.author_name.clone();
        let target = q.id.0;
        view! {
            <button
                type="button"
                class="dlg-quote"
                on:click=move |_| scroll_to_message(target)
            >
                <span class="dlg-quote__author">
                    {move || author.clone().unwrap_or_else(|| i18n.t("message.client"))}
                </span>
                <span class="dlg-quote__text">{q.snippet.clone()}</span>
            </button>
        }
    });
    let forwarded = message.forwarded.then(|| {
        view! { <span class="dlg-msg__forwarded">{move || i18n.t("message.forwarded_label")}</span> }
    });
    let important = message.important;
    let deletion = message.deletion.clone().map(|d| {
        let at = clock(d.at, offset);
        let by = d.by.clone();
        let error = d.error.clone();
        view! {
            <span class="dlg-msg__deleted">
                {move || match &by {
                    Some(name) => i18n.t_with("message.deleted_by", &[("name", name), ("time", &at)]),
                    None => i18n.t("message.deleted_by_client"),
                }}
            </span>
            {error.map(|e| view! {
                <span class="dlg-msg__delete-error" role="note">
                    {move || i18n.t("message.delete_refused")} " " {e.clone()}
                </span>
            })}
        }
    });
    let client_deleted = message.deleted && message.deletion.is_none();
    let modifier = match (message.kind, message.direction) {
        (MessageKind::System, _) => "system",
        (MessageKind::Note, _) => "note",
        (MessageKind::Message, Direction::In) => "in",
        (MessageKind::Message, _) => "out",
    };
    let time = clock(message.created_at, offset);
    let delivery = message.delivery;
    let gone = message.deleted || message.deletion.is_some();
    let failed = delivery == Some(DeliveryState::Failed) && !gone;
    let is_note = message.kind == MessageKind::Note;
    let id = message.id;
    // The retry's outcome arrives as a live event; only its error is shown here.
    let retry_error = RwSignal::new(None::<String>);
    let retry = move |_| {
        leptos::task::spawn_local(async move {
            let error = retry_message(id).await.err().map(|e| e.key().to_owned());
            retry_error.set(error);
        });
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
            class:dlg-msg--gone=gone
            class:dlg-msg--important=important
            class:dlg-msg--found=found
            class:dlg-msg--selected=move || picked() == Some(true)
            data-message-id=message.id.0
            data-dialog-id=message.dialog_id.0
            on:contextmenu=on_context
            on:click=on_click
        >
            {checkbox}
            {more}
            {forwarded}
            {quoted}
            <Show when=move || is_note>
                <span class="dlg-msg__label">{move || i18n.t("chat.note")}</span>
            </Show>
            {message.sender_name.map(|n| view! { <span class="dlg-msg__sender">{n}</span> })}
            {match message.system {
                Some(event) => {
                    view! {
                        <div class="dlg-msg__body">
                            {move || {
                                let args = event.args();
                                let args: Vec<(&str, &str)> = args
                                    .iter()
                                    .map(|(k, v)| (*k, v.as_str()))
                                    .collect();
                                i18n.t_with(event.key(), &args)
                            }}
                        </div>
                    }
                        .into_any()
                }
                None => match message.html {
                    // Cleaned on the server down to a few bare tags (E2).
                    Some(html) => view! { <div class="dlg-msg__body dlg-msg__body--rich" inner_html=html></div> }.into_any(),
                    None => view! { <div class="dlg-msg__body">{message.body}</div> }.into_any(),
                },
            }}
            <div class="dlg-msg__files">{files}</div>
            {(!message.buttons.is_empty())
                .then(|| {
                    view! {
                        <ul class="dlg-msg__buttons" aria-label=move || i18n.t("buttons.sent")>
                            {message
                                .buttons
                                .into_iter()
                                .map(|b| view! { <li class="dlg-msg__button">{b}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
            <div class="dlg-msg__meta">
                {message
                    .author_name
                    .filter(|_| message.kind != MessageKind::System)
                    .map(|a| view! { <span class="dlg-msg__author">{a}</span> })}
                {important.then(|| view! {
                    <span class="dlg-msg__star" role="img" aria-label=move || i18n.t("message.important")>"★"</span>
                })}
                <time class="dlg-msg__time" datetime=message.created_at.to_rfc3339()>
                    {time}
                </time>
                {message
                    .edited
                    .then(|| {
                        view! {
                            <span class="dlg-msg__edited">{move || i18n.t("chat.edited")}</span>
                        }
                    })}
                {delivery
                    .map(|d| {
                        let key = format!("delivery.{}", d.as_str());
                        view! {
                            <span
                                class="dlg-msg__delivery"
                                data-delivery=d.as_str()
                                title=message.delivery_error.clone()
                            >
                                {move || i18n.t(&key)}
                            </span>
                        }
                    })}
                {deletion}
                {client_deleted
                    .then(|| {
                        view! {
                            <span class="dlg-msg__deleted">{move || i18n.t("chat.deleted")}</span>
                        }
                    })}
            </div>
            {failed
                .then(|| {
                    view! {
                        <div class="dlg-msg__failure" role="alert">
                            <span>{message.delivery_error.unwrap_or_default()}</span>
                            <button type="button" class="dlg-msg__retry" on:click=retry>
                                {move || i18n.t("delivery.retry")}
                            </button>
                            {move || retry_error.get().map(|key| i18n.t(&key))}
                        </div>
                    }
                })}
        </div>
    }
}

/// A file of a message: a picture shown small, anything else a link; "loading" while it is
/// being fetched from the messenger. One shape for every state keeps the bundle small.
#[component]
fn Attachment(file: AttachmentView) -> impl IntoView {
    let i18n = use_i18n();
    let stored = file.state == "stored";
    let image = stored && (file.kind == "image" || file.kind == "sticker");
    let href = stored.then(|| format!("/files/{}", file.id.0));
    let size = file.size_bytes.map(format_size).unwrap_or_default();
    let state: &'static str = match file.state.as_str() {
        "stored" => "stored",
        "failed" => "failed",
        _ => "pending",
    };
    let note = move || match state {
        "stored" => size.clone(),
        "failed" => i18n.t("file.failed"),
        _ => i18n.t("file.loading"),
    };
    let class = format!(
        "dlg-file dlg-file--{state}{}",
        if image { " dlg-file--image" } else { "" }
    );
    let src = href.clone().filter(|_| image);
    let download = (stored && !image).then(|| file.file_name.clone());
    view! {
        <a
            class=class
            href=href
            download=download
            target=image.then_some("_blank")
        >
            {src.map(|src| view! { <img src=src alt="" loading="lazy" /> })}
            <span class="dlg-file__name">{file.file_name}</span>
            <span class="dlg-file__size">{note}</span>
        </a>
    }
}

fn message_element(id: i64) -> Option<web_sys::Element> {
    window().document().and_then(|d| {
        d.query_selector(&format!(".dlg-chat__messages [data-message-id=\"{id}\"]"))
            .ok()
            .flatten()
    })
}

/// Brings a quoted message into view and flashes it.
fn scroll_to_message(id: i64) {
    let Some(el) = message_element(id) else {
        return;
    };
    el.scroll_into_view();
    let _ = el.class_list().add_1("dlg-msg--flash");
}

/// Integer arithmetic only: float formatting would add kilobytes to the browser bundle.
fn format_size(bytes: i64) -> String {
    const MB: i64 = 1024 * 1024;
    match bytes.max(0) {
        b if b < 1024 => format!("{b} B"),
        b if b < MB => format!("{} KB", (b + 512) / 1024),
        b => {
            let tenths = (b * 10 + MB / 2) / MB;
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_size;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(format_size(900), "900 B");
        assert_eq!(format_size(1536), "2 KB");
        assert_eq!(format_size(5 * 1024 * 1024 + 300 * 1024), "5.3 MB");
    }
}

/// The client's other dialogs (D7): each expands in place to its messages, read-only, with
/// a link to open it.
#[component]
fn OtherDialogs(dialogs: Vec<OtherDialog>) -> impl IntoView {
    let i18n = use_i18n();
    let prefs = expect_context::<PagePrefs>();
    let count = dialogs.len().to_string();
    let items = dialogs
        .into_iter()
        .map(|d| {
            let open = RwSignal::new(false);
            let id = d.id;
            let loaded = LocalResource::new(move || async move {
                if open.get() {
                    Some(crate::api::dialogs::get_dialog(id, None, None, None).await)
                } else {
                    None
                }
            });
            let number = d.number.to_string();
            let label = d.title.clone();
            let when = crate::ui::format::list_time(
                d.closed_at.unwrap_or(d.created_at),
                Utc::now(),
                prefs.tz_offset_minutes,
            );
            view! {
                <li class="dlg-other">
                    <div class="dlg-other__head">
                        <button
                            type="button"
                            class="dlg-other__toggle"
                            aria-expanded=move || open.get().to_string()
                            on:click=move |_| open.update(|o| *o = !*o)
                        >
                            <span aria-hidden="true">{move || if open.get() { "▾" } else { "▸" }}</span>
                            " "
                            {move || {
                                let n = i18n.t_with("chat.dialog_number", &[("n", &number)]);
                                match &label {
                                    Some(t) => format!("{n} · {t}"),
                                    None => n,
                                }
                            }}
                        </button>
                        <span class="dlg-other__meta">
                            {d.channel_name.clone()} " · " {when}
                        </span>
                        <StatusBadge status=d.status />
                        <a class="dlg-other__open" href=format!("/dialogs/{id}")>
                            {move || i18n.t("chat.open_dialog")}
                        </a>
                    </div>
                    <Show when=move || open.get()>
                        <div class="dlg-other__messages">
                            {move || match loaded.get().flatten() {
                                None => view! { <p class="dlg-day">{i18n.t("inbox.loading")}</p> }.into_any(),
                                Some(Ok(detail)) => detail
                                    .messages
                                    .into_iter()
                                    .map(|m| view! { <Message message=m offset=prefs.tz_offset_minutes /> })
                                    .collect_view()
                                    .into_any(),
                                Some(Err(e)) => {
                                    view! { <p class="dlg-day" role="alert">{i18n.t(e.key())}</p> }.into_any()
                                }
                            }}
                        </div>
                    </Show>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="dlg-others">
            <summary>{move || i18n.t_with("chat.other_dialogs", &[("n", &count)])}</summary>
            <ul class="dlg-others__list">{items}</ul>
        </details>
    }
}

/// The element of message `id` in the list `list`, if drawn.
fn drawn_message(list: &web_sys::HtmlDivElement, id: MessageId) -> Option<web_sys::HtmlElement> {
    let found = list
        .query_selector(&format!("[data-message-id=\"{}\"]", id.0))
        .ok()
        .flatten()?;
    wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(found).ok()
}
