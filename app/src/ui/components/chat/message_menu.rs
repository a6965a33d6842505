//! The message menu (E8, E9): right-click on a message, or its "⋯" button for touch and
//! keyboard. Reply (quoted in the composer), copy the text, forward to another dialog,
//! star as important, delete where the messenger allows (otherwise shown disabled with the
//! reason).

use leptos::prelude::*;

use crate::api::dialogs::list_dialogs;
use crate::api::messages::{delete_message, forward_message, star_message};
use crate::domain::message::{DeleteCase, may_delete};
use crate::domain::{
    ComposerMode, DialogId, DialogPermissions, MessageId, MessageKind, MessageView, QuotedMessage,
};
use crate::i18n::use_i18n;
use crate::ui::components::common::close_on_escape;

/// A message whose menu is open, and where (window coordinates; None: centred, as from
/// its "⋯" button).
pub type OpenMenu = (MessageView, Option<(i32, i32)>);

/// Which messages of the open dialog are loaded. A dialog opens with its newest messages,
/// or around its first unread or a found message; scrolling first widens that by pages and
/// then moves it (`around` a message at the loaded part's edge), so any message of a long
/// dialog can be reached while the page holds a few hundred.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageWindow {
    /// The message the window was moved to; `None` while it is where the dialog opened.
    pub around: Option<MessageId>,
    /// Pages of earlier messages added to it.
    pub earlier: u32,
    /// Pages of later messages added to it.
    pub later: u32,
}

impl MessageWindow {
    /// Pages a window grows by before it moves instead.
    pub const GROW: u32 = 3;

    /// The window one page earlier: grown, or moved to `first` (the oldest message loaded)
    /// once it is `GROW` pages wide.
    pub fn earlier(self, first: MessageId) -> MessageWindow {
        if self.earlier < Self::GROW {
            MessageWindow {
                earlier: self.earlier + 1,
                ..self
            }
        } else {
            MessageWindow {
                around: Some(first),
                earlier: 2,
                later: 1,
            }
        }
    }

    /// The window one page later: grown, or moved to `last` (the newest message loaded).
    pub fn later(self, last: MessageId) -> MessageWindow {
        if self.later < Self::GROW {
            MessageWindow {
                later: self.later + 1,
                ..self
            }
        } else {
            MessageWindow {
                around: Some(last),
                earlier: 1,
                later: 2,
            }
        }
    }

    /// Whether this window moves (rather than grows) the list.
    pub fn moves_from(self, before: MessageWindow) -> bool {
        self.around != before.around
    }
}

/// What the open chat shares between its messages and its composer.
#[derive(Clone, Copy)]
pub struct ChatContext {
    /// The message the composer answers, quoted above it.
    pub reply: RwSignal<Option<QuotedMessage>>,
    /// This user's rights in the dialog, once known.
    pub permissions: RwSignal<Option<DialogPermissions>>,
    /// The message whose menu is open.
    pub menu: RwSignal<Option<OpenMenu>>,
    /// The message being forwarded.
    pub forward: RwSignal<Option<MessageView>>,
    /// Something the last action reported (a translation key).
    pub notice: RwSignal<Option<String>>,
    /// Bumped after a change, so the chat reloads even without a live connection.
    pub changed: RwSignal<u32>,
    /// The action form open in the action bar (close, redirect, ...).
    pub action_form: RwSignal<Option<super::actions::Form>>,
    /// The open dialog; in one history (D8) other dialogs' messages are shown too.
    pub current: RwSignal<Option<DialogId>>,
    /// The messages picked to pass for review (D8); None when not selecting.
    pub selected: RwSignal<Option<Vec<MessageId>>>,
    /// The part of the dialog loaded: grown and moved as the reader scrolls.
    pub window: RwSignal<MessageWindow>,
    /// The distance from the list's bottom to keep when earlier messages are drawn above.
    pub keep_scroll: StoredValue<Option<i32>>,
    /// A message and its distance from the list's top edge to keep when the window moved.
    pub keep_at: StoredValue<Option<(MessageId, i32)>>,
    /// The message a long dialog's window opened at, kept while the dialog stays open.
    pub anchor: StoredValue<Option<(DialogId, MessageId)>>,
    /// The anchor the list was scrolled to already (it is scrolled to once).
    pub anchored: StoredValue<Option<MessageId>>,
    /// Where the reader was in the list: scroll top, and whether at the bottom.
    pub last_scroll: StoredValue<Option<(i32, bool)>>,
}

impl ChatContext {
    /// Adds or removes a message from the selection.
    pub fn toggle_selected(&self, id: MessageId) {
        self.selected.update(|s| {
            if let Some(s) = s {
                match s.iter().position(|m| *m == id) {
                    Some(i) => {
                        s.remove(i);
                    }
                    None => s.push(id),
                }
            }
        });
    }

    pub fn provide() -> ChatContext {
        let ctx = ChatContext {
            reply: RwSignal::new(None),
            permissions: RwSignal::new(None),
            menu: RwSignal::new(None),
            forward: RwSignal::new(None),
            notice: RwSignal::new(None),
            changed: RwSignal::new(0),
            action_form: RwSignal::new(None),
            current: RwSignal::new(None),
            selected: RwSignal::new(None),
            window: RwSignal::new(MessageWindow::default()),
            keep_scroll: StoredValue::new(None),
            keep_at: StoredValue::new(None),
            anchor: StoredValue::new(None),
            anchored: StoredValue::new(None),
            last_scroll: StoredValue::new(None),
        };
        provide_context(ctx);
        ctx
    }
}

/// Whether the menu offers deleting this message, or why not (a translation key).
fn delete_rule(m: &MessageView, p: Option<&DialogPermissions>) -> Result<(), &'static str> {
    let Some(p) = p else {
        return Err("message.delete.no_rights");
    };
    let Some(channel) = p.channel else {
        return Err("message.delete.unsupported");
    };
    may_delete(&DeleteCase {
        kind: m.kind,
        direction: m.direction,
        channel,
        age: chrono::Utc::now() - m.created_at,
        deleted: m.deletion.is_some() || m.deleted,
        own: m.author_id.is_some() && m.author_id == p.user,
        may_reply: p.can_send,
        manages: p.manages,
    })
}

/// The "⋯" button of one message.
#[component]
pub fn MessageMenuButton(message: MessageView) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = expect_context::<ChatContext>();
    let id = message.id;
    view! {
        <button
            type="button"
            class="dlg-msg__more"
            aria-haspopup="menu"
            aria-expanded=move || {
                ctx.menu.with(|m| m.as_ref().is_some_and(|(m, _)| m.id == id)).to_string()
            }
            aria-label=move || i18n.t("message.menu")
            title=move || i18n.t("message.menu")
            on:click=move |ev| {
                ev.stop_propagation();
                ctx.menu.set(Some((message.clone(), None)));
            }
        >
            "⋯"
        </button>
    }
}

/// The open menu, one for the whole chat.
#[component]
pub fn MessageMenu() -> impl IntoView {
    let ctx = expect_context::<ChatContext>();
    close_on_escape(Callback::new(move |()| ctx.menu.set(None)));
    move || {
        ctx.menu.get().map(|(message, at)| {
            view! { <MenuItems message at /> }
        })
    }
}

#[component]
fn MenuItems(message: MessageView, at: Option<(i32, i32)>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = expect_context::<ChatContext>();
    let id = message.id;
    let close = move || ctx.menu.set(None);
    let permissions = ctx.permissions.get_untracked();
    // A message of another dialog in one history (D8) is answered and deleted from there.
    let elsewhere = ctx.current.get_untracked() != Some(message.dialog_id);
    let deletable = if elsewhere {
        Err("message.elsewhere")
    } else {
        delete_rule(&message, permissions.as_ref())
    };
    let system = message.kind == MessageKind::System;
    let gone = message.deletion.is_some() || message.deleted;
    let important = message.important;
    let confirm = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let menu = NodeRef::<leptos::html::Div>::new();
    // Focus the first item, so arrows and Enter work at once.
    Effect::new(move |_| {
        if let Some(el) = menu.get()
            && let Ok(Some(first)) = el.query_selector("button:not([disabled])")
            && let Ok(first) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(first)
        {
            let _ = first.focus();
        }
    });
    let style = match at {
        // Kept inside the window: the menu is at most 240 × 280 px.
        Some((x, y)) => {
            let (w, h) = window_size();
            format!(
                "left:{}px;top:{}px",
                x.min(w - 248).max(8),
                y.min(h - 288).max(8)
            )
        }
        None => String::new(),
    };
    let anchored = at.is_none();
    let quote = QuotedMessage {
        id,
        author_name: message.author_name.clone(),
        snippet: crate::domain::message::snippet(&message.body),
    };
    let body = message.body.clone();
    let reply_ok =
        !system && !gone && !elsewhere && permissions.as_ref().is_some_and(|p| p.can_note);
    let run = move |work: Work| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = work.await;
            busy.set(false);
            match outcome {
                Ok(()) => {
                    ctx.changed.update(|v| *v += 1);
                    ctx.menu.set(None);
                }
                Err(e) => ctx.notice.set(Some(e.key().to_owned())),
            }
        });
    };
    let forward_message = message.clone();
    view! {
        <div class="dlg-menu__backdrop" on:click=move |_| close() on:contextmenu=move |ev| {
            ev.prevent_default();
            close();
        }></div>
        <div
            class="dlg-menu"
            class:dlg-menu--anchored=anchored
            role="menu"
            node_ref=menu
            style=style
            aria-label=move || i18n.t("message.menu")
            on:keydown=move |ev: leptos::ev::KeyboardEvent| move_focus(&ev)
        >
            <button
                type="button"
                role="menuitem"
                class="dlg-menu__item"
                disabled=!reply_ok
                on:click=move |_| {
                    ctx.reply.set(Some(quote.clone()));
                    close();
                    focus_composer();
                }
            >
                {move || i18n.t("message.reply")}
            </button>
            <button
                type="button"
                role="menuitem"
                class="dlg-menu__item"
                disabled=body.is_empty() || system
                on:click=move |_| {
                    copy_text(&body);
                    ctx.notice.set(Some("message.copied".into()));
                    close();
                }
            >
                {move || i18n.t("message.copy")}
            </button>
            <button
                type="button"
                role="menuitem"
                class="dlg-menu__item"
                disabled=system || gone
                on:click=move |_| {
                    ctx.forward.set(Some(forward_message.clone()));
                    close();
                }
            >
                {move || i18n.t("message.forward")}
            </button>
            <button
                type="button"
                role="menuitem"
                class="dlg-menu__item"
                data-item="select"
                disabled=system
                on:click=move |_| {
                    if ctx.selected.with_untracked(Option::is_some) {
                        ctx.toggle_selected(id);
                    } else {
                        ctx.selected.set(Some(vec![id]));
                    }
                    close();
                }
            >
                {move || i18n.t("message.select")}
            </button>
            <button
                type="button"
                role="menuitem"
                class="dlg-menu__item"
                disabled=move || system || busy.get()
                aria-pressed=important.to_string()
                on:click=move |_| run(Box::pin(async move {
                    star_message(id, !important).await.map(|_| ())
                }))
            >
                {move || if important { i18n.t("message.unstar") } else { i18n.t("message.star") }}
            </button>
            {match deletable {
                Ok(()) => view! {
                    <Show
                        when=move || confirm.get()
                        fallback=move || view! {
                            <button
                                type="button"
                                role="menuitem"
                                class="dlg-menu__item dlg-menu__item--danger"
                                on:click=move |_| confirm.set(true)
                            >
                                {move || i18n.t("message.delete")}
                            </button>
                        }
                    >
                        <button
                            type="button"
                            role="menuitem"
                            class="dlg-menu__item dlg-menu__item--danger"
                            disabled=move || busy.get()
                            on:click=move |_| run(Box::pin(async move {
                                delete_message(id).await.map(|_| ())
                            }))
                        >
                            {move || i18n.t("message.delete_confirm")}
                        </button>
                    </Show>
                }
                    .into_any(),
                Err(reason) => view! {
                    <button
                        type="button"
                        role="menuitem"
                        class="dlg-menu__item dlg-menu__item--danger"
                        disabled=true
                        aria-describedby="dlg-menu-why"
                    >
                        {move || i18n.t("message.delete")}
                    </button>
                    <p class="dlg-menu__why" id="dlg-menu-why">{move || i18n.t(reason)}</p>
                }
                    .into_any(),
            }}
        </div>
    }
}

/// A menu action's call to the server.
type Work =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), crate::error::AppError>>>>;

/// Up and down arrows move between the menu's items.
fn move_focus(ev: &leptos::ev::KeyboardEvent) {
    let step = match ev.key().as_str() {
        "ArrowDown" => 1,
        "ArrowUp" => -1,
        _ => return,
    };
    ev.prevent_default();
    let Some(doc) = window().document() else {
        return;
    };
    let Ok(items) = doc.query_selector_all(".dlg-menu button:not([disabled])") else {
        return;
    };
    let active: Option<web_sys::Node> = doc.active_element().map(Into::into);
    let n = items.length() as i32;
    if n == 0 {
        return;
    }
    let current = (0..n)
        .find(|i| items.item(*i as u32) == active)
        .unwrap_or(-1);
    let next = (current + step).rem_euclid(n);
    if let Some(el) = items.item(next as u32)
        && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el)
    {
        let _ = el.focus();
    }
}

fn window_size() -> (i32, i32) {
    let w = window();
    let get = |v: Result<wasm_bindgen::JsValue, _>| {
        v.ok().and_then(|v| v.as_f64()).map_or(800, |v| v as i32)
    };
    (get(w.inner_width()), get(w.inner_height()))
}

fn copy_text(text: &str) {
    let clipboard = window().navigator().clipboard();
    let _ = clipboard.write_text(text);
}

fn focus_composer() {
    if let Some(el) = window()
        .document()
        .and_then(|d| d.query_selector(".dlg-composer__input").ok().flatten())
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = el.focus();
    }
}

/// The reply being written, quoted above the composer, with a button to drop it.
#[component]
pub fn ReplyStrip() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = use_context::<ChatContext>();
    move || {
        let ctx = ctx?;
        ctx.reply.get().map(|q| {
            let author = q.author_name.clone();
            view! {
                <div class="dlg-composer__reply">
                    <input type="hidden" name="reply_to" value=q.id.0.to_string() />
                    <blockquote class="dlg-quote">
                        <span class="dlg-quote__author">
                            {move || author.clone().unwrap_or_else(|| i18n.t("message.client"))}
                        </span>
                        <span class="dlg-quote__text">{q.snippet.clone()}</span>
                    </blockquote>
                    <button
                        type="button"
                        class="dlg-button dlg-button--ghost dlg-button--icon"
                        aria-label=move || i18n.t("message.reply_cancel")
                        title=move || i18n.t("message.reply_cancel")
                        on:click=move |_| ctx.reply.set(None)
                    >
                        "×"
                    </button>
                </div>
            }
        })
    }
}

/// Picks the dialog to forward a message to: the dialogs in work and waiting, filtered by
/// what is typed (client, title or number).
#[component]
pub fn ForwardModal(current: DialogId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = expect_context::<ChatContext>();
    let close = move || ctx.forward.set(None);
    close_on_escape(Callback::new(move |()| close()));
    let query = RwSignal::new(String::new());
    let as_note = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let dialogs = LocalResource::new(move || async move {
        list_dialogs("section=all".to_owned(), 0, None, 200).await
    });
    let send = move |to: DialogId| {
        let Some(message) = ctx.forward.get_untracked() else {
            return;
        };
        let mode = if as_note.get_untracked() {
            ComposerMode::Note
        } else {
            ComposerMode::Message
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = forward_message(message.id, to, mode).await;
            busy.set(false);
            match outcome {
                Ok(_) => {
                    ctx.forward.set(None);
                    ctx.notice.set(Some("message.forwarded".into()));
                }
                Err(e) => error.set(Some(e.key().to_owned())),
            }
        });
    };
    view! {
        <div class="dlg-modal">
            <div class="dlg-modal__backdrop" on:click=move |_| close()></div>
            <div
                class="dlg-modal__panel dlg-modal__panel--small dlg-forward"
                role="dialog"
                aria-modal="true"
                aria-labelledby="dlg-forward-title"
            >
                <header class="dlg-modal__head">
                    <h2 id="dlg-forward-title">{move || i18n.t("message.forward_title")}</h2>
                </header>
                <input
                    class="dlg-input"
                    type="search"
                    autofocus
                    placeholder=move || i18n.t("message.forward_search")
                    aria-label=move || i18n.t("message.forward_search")
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <label class="dlg-check">
                    <input
                        type="checkbox"
                        prop:checked=move || as_note.get()
                        on:change=move |ev| as_note.set(event_target_checked(&ev))
                    />
                    " "
                    {move || i18n.t("message.forward_as_note")}
                </label>
                <ul class="dlg-forward__list">
                    {move || {
                        let q = query.get().to_lowercase();
                        match dialogs.get() {
                            None => view! { <li class="dlg-day">{i18n.t("inbox.loading")}</li> }.into_any(),
                            Some(Err(e)) => view! { <li role="alert">{i18n.t(e.key())}</li> }.into_any(),
                            Some(Ok(page)) => page
                                .rows
                                .into_iter()
                                .filter(|d| d.id != current)
                                .filter(|d| {
                                    q.is_empty()
                                        || d.client_name.to_lowercase().contains(&q)
                                        || d.title.as_deref().is_some_and(|t| t.to_lowercase().contains(&q))
                                        || d.number.to_string() == q.trim_start_matches('#')
                                })
                                .take(50)
                                .map(|d| {
                                    let to = d.id;
                                    view! {
                                        <li>
                                            <button
                                                type="button"
                                                class="dlg-forward__item"
                                                disabled=move || busy.get()
                                                on:click=move |_| send(to)
                                            >
                                                <span class="dlg-forward__client">{d.client_name}</span>
                                                <span class="dlg-forward__meta">
                                                    {format!("#{} · {}", d.number, d.channel_name)}
                                                </span>
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()
                                .into_any(),
                        }
                    }}
                </ul>
                {move || error.get().map(|key| view! { <p class="dlg-field__error" role="alert">{i18n.t(&key)}</p> })}
                <div class="dlg-modal__buttons">
                    <button type="button" class="dlg-button" on:click=move |_| close()>
                        {move || i18n.t("action.cancel")}
                    </button>
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_grows_a_few_pages_and_then_moves_to_its_edge() {
        let mut w = MessageWindow::default();
        for page in 1..=MessageWindow::GROW {
            let next = w.earlier(MessageId(500));
            assert!(!next.moves_from(w));
            assert_eq!(next.earlier, page);
            w = next;
        }
        let moved = w.earlier(MessageId(500));
        assert!(moved.moves_from(w));
        assert_eq!(moved.around, Some(MessageId(500)));
        // Moved again further back: around the new edge.
        let mut w = moved;
        while !w.earlier(MessageId(100)).moves_from(w) {
            w = w.earlier(MessageId(100));
        }
        assert_eq!(w.earlier(MessageId(100)).around, Some(MessageId(100)));
    }

    #[test]
    fn later_pages_grow_and_move_the_same_way() {
        let mut w = MessageWindow {
            around: Some(MessageId(7)),
            ..MessageWindow::default()
        };
        for _ in 0..MessageWindow::GROW {
            w = w.later(MessageId(900));
            assert_eq!(w.around, Some(MessageId(7)));
        }
        let moved = w.later(MessageId(900));
        assert_eq!(moved.around, Some(MessageId(900)));
        assert!(
            moved.later > moved.earlier,
            "more room ahead, where the reader goes"
        );
    }
}
