//! The open dialog: header, messages and the composer.

use leptos::prelude::*;
use leptos::reactive::computed::ScopedFuture;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::dialogs::{get_dialog, get_permissions, mark_read};
use crate::api::messages::SendMessage;
use crate::domain::{DialogId, MessageId};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::realtime::use_realtime;
use crate::ui::components::chat::{
    ChatContext, ChatHeader, ForwardModal, MessageList, MessageMenu, MessageWindow, SelectionBar,
};
use crate::ui::components::composer::{Composer, TemplateBar};
use crate::ui::pages::NotFoundPane;

#[component]
pub fn ChatPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let live = use_realtime();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .map(DialogId)
    });
    // In one history (D8) a change in any of its dialogs redraws it.
    let history = RwSignal::new(Vec::<DialogId>::new());
    let version = live.dialog_version(id, history.into());
    let chat = ChatContext::provide();
    // A found message to open the dialog at (C4): `?at=<message id>`.
    let query = use_query_map();
    let at = Memo::new(move |_| {
        query
            .read()
            .get("at")
            .and_then(|s| s.parse::<i64>().ok())
            .map(MessageId)
    });
    let detail = Resource::new(
        move || (id.get(), version.get(), chat.window.get(), at.get()),
        move |(id, _, window, at)| async move {
            // Once open, a long dialog keeps the window it opened with, until the reader
            // scrolls it elsewhere.
            let at = window.around.or(at).or_else(|| {
                chat.anchor
                    .get_value()
                    .filter(|(dialog, _)| Some(*dialog) == id)
                    .map(|(_, message)| message)
            });
            match id {
                Some(id) => {
                    get_dialog(
                        id,
                        (window.earlier > 0).then_some(window.earlier),
                        at,
                        (window.later > 0).then_some(window.later),
                    )
                    .await
                }
                None => Err(AppError::NotFound),
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(d)) = detail.get()
            && chat.anchor.get_value().is_none()
            && let Some(anchor) = d.anchor
        {
            chat.anchor.set_value(Some((d.dialog.id, anchor)));
        }
    });
    let send = ServerAction::<SendMessage>::new();
    // A sent message shows at once, even if the live connection is down; a reply is done.
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            chat.reply.set(None);
            detail.refetch();
            live.changed_here(id.get_untracked());
        }
    });
    // A change from the message menu shows at once too.
    Effect::new(move |prev: Option<()>| {
        chat.changed.track();
        if prev.is_some() {
            detail.refetch();
            live.changed_here(id.get_untracked());
        }
    });
    // The notice of the last menu action fades after a few seconds.
    Effect::new(move |_| {
        if chat.notice.get().is_some() {
            set_timeout(
                move || chat.notice.set(None),
                std::time::Duration::from_secs(4),
            );
        }
    });
    // Another dialog: no reply, menu, selection or earlier pages carried over.
    Effect::new(move |_| {
        chat.current.set(id.get());
        chat.reply.set(None);
        chat.menu.set(None);
        chat.action_form.set(None);
        chat.selected.set(None);
        at.track();
        chat.anchor.set_value(None);
        chat.anchored.set_value(None);
        chat.last_scroll.set_value(None);
        chat.keep_at.set_value(None);
        if chat.window.get_untracked() != MessageWindow::default() {
            chat.window.set(MessageWindow::default());
        }
    });

    Effect::new(move |_| {
        let Some(Ok(d)) = detail.get() else { return };
        let ids: Vec<DialogId> = if d.dialog.single_window {
            d.other_dialogs.iter().map(|o| o.id).collect()
        } else {
            Vec::new()
        };
        if history.with_untracked(|h| *h != ids) {
            history.set(ids);
        }
    });

    // Opening a dialog reads it: move the read position to its newest message.
    let marked = StoredValue::new(None::<(DialogId, MessageId)>);
    Effect::new(move |_| {
        let Some(Ok(d)) = detail.get() else { return };
        // In one history (D8) the newest message may be another dialog's.
        let Some(last) = d
            .messages
            .iter()
            .rev()
            .find(|m| m.dialog_id == d.dialog.id)
            .map(|m| m.id)
        else {
            return;
        };
        let key = (d.dialog.id, last);
        if marked.get_value() == Some(key) {
            return;
        }
        marked.set_value(Some(key));
        leptos::task::spawn_local(async move {
            if mark_read(key.0, key.1).await.is_ok() {
                live.changed_here(Some(key.0));
            }
        });
    });

    // No composer under a dialog that could not be opened (taken by someone else, gone).
    // A memo, so the composer is not rebuilt by the refreshes that live events cause.
    let failed = Memo::new(move |_| detail.get().map(|r| r.is_err()));

    // Asked once per opened dialog, so the composer survives the refreshes that live events
    // cause; and again when the dialog's status or the user's rights in it change (someone
    // else redirected or closed it), so it never offers what would be refused. What is
    // typed is kept by the drafts either way.
    let gate = Memo::new(move |_| {
        detail
            .get()
            .and_then(|r| r.ok())
            .map(|d| (d.dialog.status, d.dialog.can_send, d.dialog.can_note))
    });
    // Asked again only when the dialog's answer disagrees with the composer's: opening a
    // dialog asks once, so files attached at once are not dropped by a second draw.
    let recheck = RwSignal::new(0u32);
    let permissions = Resource::new(
        move || (id.get(), recheck.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_permissions(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    Effect::new(move |_| {
        let Some(now) = gate.get() else { return };
        let stale = permissions
            .get()
            .and_then(Result::ok)
            .is_some_and(|p| (p.status, p.can_send, p.can_note) != now);
        if stale {
            recheck.update(|v| *v += 1);
        }
    });

    // The header and its action bar are drawn again only when the dialog itself changes
    // (status, assignee, rights, helpers), not on every message or delivery update: a click
    // on them never lands on a bar being replaced, and an open form keeps what was typed.
    let head = Memo::new(move |_| {
        detail.with(|r| {
            r.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|d| d.dialog.clone())
        })
    });
    let on_done = Callback::new(move |()| {
        detail.refetch();
        permissions.refetch();
        live.changed_here(id.get_untracked());
    });

    view! {
        <Transition>
            {move || {
                // Read, not only tracked: a memo nobody reads is never computed, and so
                // would never follow `detail`.
                head.with(|_| ());
                // Awaited without tracking: the first load (and the server's render) waits
                // for the dialog; later loads redraw the header only through `head`.
                Suspend::new(ScopedFuture::new_untracked(async move {
                    detail
                        .await
                        .ok()
                        .map(|d| view! { <ChatHeader dialog=d.dialog on_done /> })
                }))
            }}
        </Transition>
        <Transition fallback=move || {
            view! { <div class="dlg-chat__empty">{move || i18n.t("inbox.loading")}</div> }
        }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => {
                        view! {
                            <crate::ui::components::chat::presence::ChatPresence dialog=d.dialog.id />
                            <MessageList
                                messages=d.messages
                                has_earlier=d.has_earlier
                                has_later=d.has_later
                                anchor=d.anchor
                                found=chat
                                    .window
                                    .try_with_untracked(|w| w.around.is_none())
                                    .unwrap_or(true)
                                other_dialogs=d.other_dialogs
                                current=d.dialog.clone()
                                pending=send.input().into()
                            />
                        }
                            .into_any()
                    }
                    Err(AppError::NotFound) => view! { <NotFoundPane /> }.into_any(),
                    Err(AppError::Conflict(key)) => {
                        view! {
                            <div class="dlg-chat__empty">
                                <p class="dlg-chat__taken" role="alert">{move || i18n.t(&key)}</p>
                            </div>
                        }
                            .into_any()
                    }
                    Err(err) => {
                        let key = err.key().to_owned();
                        view! {
                            <div class="dlg-chat__empty" role="alert">{move || i18n.t(&key)}</div>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
        <SelectionBar />
        <Show when=move || failed.get() != Some(true)>
        <Transition>
            {move || Suspend::new(async move {
                permissions
                    .await
                    .ok()
                    .map(|permissions| {
                        chat.permissions.set(Some(permissions));
                        let on_sent = Callback::new(move |()| {
                            detail.refetch();
                            live.changed_here(id.get_untracked());
                        });
                        let bar = id
                            .get_untracked()
                            .map(|dialog_id| {
                                view! {
                                    <TemplateBar dialog_id can_send=permissions.can_send on_sent />
                                }
                            });
                        view! {
                            {bar}
                            <Composer dialog_id=id permissions send />
                        }
                    })
            })}
        </Transition>
        </Show>
        <MessageMenu />
        {move || {
            chat.forward
                .get()
                .is_some()
                .then(|| id.get_untracked().map(|current| view! { <ForwardModal current /> }))
                .flatten()
        }}
        {move || {
            chat.notice
                .get()
                .map(|key| view! { <p class="dlg-toast" role="status">{i18n.t(&key)}</p> })
        }}
    }
}
