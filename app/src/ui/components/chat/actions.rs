//! The open dialog's action buttons (D3): accept, close, redirect, return to queue, read,
//! rename and pass for review, each with an Alt+letter shortcut; the forms that ask what
//! an action needs (a reason, a target, a name) open in a modal.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::dialogs::set_hide_system;
use crate::api::lifecycle::{dialog_action, dialog_action_options, pass_for_review};
use crate::api::session::set_single_window;
use crate::domain::lifecycle::{Action, ActionKind, ActionOptions, HelperRole, QueueTarget};
use crate::domain::{CloseReasonId, DialogId, DialogStatus, DialogView, GroupId, Helper, UserId};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::ui::components::chat::ChatContext;

/// A form an action opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    Close,
    Redirect,
    Pass,
    Rename,
    /// Co-assignees and observers (D5).
    Helpers,
}

/// A button of the bar: what it does, its label and its shortcut letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Button {
    Now(ActionKind),
    Opens(Form),
}

fn buttons(actions: &[ActionKind], reason_form: bool) -> Vec<(Button, &'static str, char)> {
    let mut out = Vec::new();
    for kind in actions {
        let entry = match kind {
            ActionKind::Accept => (Button::Now(*kind), "action.accept", 'a'),
            ActionKind::Read => (Button::Now(*kind), "action.read", 'd'),
            ActionKind::ReturnToQueue => (Button::Now(*kind), "action.return_to_queue", 'q'),
            ActionKind::Close if reason_form => (Button::Opens(Form::Close), "action.close", 'c'),
            ActionKind::Close => (Button::Now(*kind), "action.close", 'c'),
            ActionKind::Redirect => (Button::Opens(Form::Redirect), "action.redirect", 'r'),
            ActionKind::Rename => (Button::Opens(Form::Rename), "action.rename", 'n'),
        };
        out.push(entry);
    }
    out.push((Button::Opens(Form::Pass), "action.pass", 'p'));
    out.push((Button::Opens(Form::Helpers), "action.helpers", 'u'));
    out
}

/// The bar. `on_done` refreshes the dialog after a change.
#[component]
pub fn DialogActions(dialog: DialogView, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let id = dialog.id;
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Kept by the chat page, so an open form survives the header being drawn again when a
    // message arrives.
    let chat = use_context::<ChatContext>();
    let form = chat
        .map(|c| c.action_form)
        .unwrap_or_else(|| RwSignal::new(None));
    // The close reasons and people to pick from, loaded once per opened dialog.
    let options = LocalResource::new(move || async move { dialog_action_options(id).await });
    let reason_form = Memo::new(move |_| {
        options
            .get()
            .and_then(|o| o.ok())
            .is_none_or(|o| o.reason_required || !o.reasons.is_empty())
    });
    let entries = {
        let actions = dialog.actions.clone();
        Memo::new(move |_| buttons(&actions, reason_form.get()))
    };

    let inbox = crate::ui::pages::inbox::use_inbox();
    let navigate = StoredValue::new(leptos_router::hooks::use_navigate());
    let run = move |action: Action| {
        busy.set(true);
        error.set(None);
        // "Read" ends a review copy, which then leaves the reader's sight: back to the list.
        let leave = matches!(action, Action::Read);
        spawn_local(async move {
            let result = dialog_action(id, action).await;
            busy.set(false);
            match result {
                Ok(_) if leave => {
                    on_done.run(());
                    let list = format!("/dialogs{}", inbox.search.get_untracked());
                    navigate.try_with_value(|go| go(&list, Default::default()));
                }
                Ok(_) => on_done.run(()),
                Err(e) => {
                    error.set(Some(e.key().to_owned()));
                    // Taken by someone else, or changed: show the dialog as it is now.
                    if matches!(e, AppError::Conflict(_)) {
                        on_done.run(());
                    }
                }
            }
        });
    };
    let press = move |button: Button| match button {
        Button::Now(ActionKind::Accept) => run(Action::Accept),
        Button::Now(ActionKind::Read) => run(Action::Read),
        Button::Now(ActionKind::ReturnToQueue) => run(Action::ReturnToQueue),
        Button::Now(ActionKind::Close) => run(Action::Close { reason: None }),
        Button::Now(_) => {}
        Button::Opens(f) => {
            error.set(None);
            form.set(Some(f));
        }
    };

    // Alt+letter presses a button (the physical key, so layouts and macOS's Option
    // characters do not matter).
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if !ev.alt_key() || ev.ctrl_key() || ev.meta_key() || form.get_untracked().is_some() {
            return;
        }
        let code = ev.code();
        let Some(letter) = code.strip_prefix("Key").and_then(|k| k.chars().next()) else {
            return;
        };
        let letter = letter.to_ascii_lowercase();
        if busy.get_untracked() {
            return;
        }
        if let Some((button, _, _)) = entries
            .get_untracked()
            .into_iter()
            .find(|(_, _, key)| *key == letter)
        {
            ev.prevent_default();
            press(button);
        }
    });
    on_cleanup(move || keys.remove());

    let title = dialog.title.clone();
    let hidden = dialog.hide_system;
    let single = dialog.single_window;
    // A review copy is always shown on its own: the mode does not apply there.
    let status = dialog.status;
    let toggle_single = move |_| {
        busy.set(true);
        spawn_local(async move {
            let result = set_single_window(!single).await;
            busy.set(false);
            match result {
                Ok(()) => on_done.run(()),
                Err(e) => error.set(Some(e.key().to_owned())),
            }
        });
    };
    let helpers = dialog.helpers.clone();
    let can_manage_helpers = dialog.can_manage_helpers;
    view! {
        <div class="dlg-actions" role="toolbar" aria-label=move || i18n.t("action.menu")>
            <For
                each=move || entries.get()
                key=|(button, _, _)| *button
                children=move |(button, label, key)| {
                    let primary = matches!(
                        button,
                        Button::Now(ActionKind::Accept | ActionKind::Read)
                    );
                    let shortcut = format!("Alt+{}", key.to_ascii_uppercase());
                    let hint = shortcut.clone();
                    view! {
                        <button
                            type="button"
                            class=if primary {
                                "dlg-button dlg-button--primary dlg-actions__button"
                            } else {
                                "dlg-button dlg-actions__button"
                            }
                            data-action=label.trim_start_matches("action.")
                            aria-keyshortcuts=shortcut
                            title=move || format!("{} ({hint})", i18n.t(label))
                            disabled=move || busy.get()
                            on:click=move |_| press(button)
                        >
                            {move || i18n.t(label)}
                        </button>
                    }
                }
            />
            <button
                type="button"
                class="dlg-button dlg-button--ghost dlg-actions__button dlg-actions__system"
                data-action="hide_system"
                aria-pressed=hidden.to_string()
                disabled=move || busy.get()
                on:click=move |_| {
                    busy.set(true);
                    spawn_local(async move {
                        let result = set_hide_system(id, !hidden).await;
                        busy.set(false);
                        match result {
                            Ok(()) => on_done.run(()),
                            Err(e) => error.set(Some(e.key().to_owned())),
                        }
                    });
                }
            >
                {move || {
                    if hidden { i18n.t("action.show_system") } else { i18n.t("action.hide_system") }
                }}
            </button>
            <Show when=move || status != DialogStatus::ForReview>
            <button
                type="button"
                class="dlg-button dlg-button--ghost dlg-actions__button dlg-actions__single"
                data-action="single_window"
                aria-pressed=single.to_string()
                title=move || i18n.t("action.single_window_hint")
                disabled=move || busy.get()
                on:click=toggle_single
            >
                {move || i18n.t("action.single_window")}
            </button>
            </Show>
        </div>
        {move || {
            error
                .get()
                .map(|key| {
                    view! {
                        <p class="dlg-actions__error" role="alert">
                            {i18n.t(&key)}
                        </p>
                    }
                })
        }}
        {move || {
            notice
                .get()
                .map(|key| view! { <p class="dlg-actions__notice" role="status">{i18n.t(&key)}</p> })
        }}
        {move || {
            form.get()
                .map(|f| {
                    let close = Callback::new(move |()| form.set(None));
                    let done = Callback::new(move |passed: bool| {
                        form.set(None);
                        if passed {
                            notice.set(Some("action.passed".into()));
                            if let Some(chat) = chat {
                                chat.selected.set(None);
                            }
                        }
                        on_done.run(());
                    });
                    if f == Form::Helpers {
                        return view! {
                            <HelpersModal
                                dialog=id
                                helpers=helpers.clone()
                                can_manage=can_manage_helpers
                                options=options
                                close
                                done
                            />
                        }
                            .into_any();
                    }
                    view! {
                        <ActionModal
                            form=f
                            dialog=id
                            title=title.clone()
                            options=options
                            close
                            done
                        />
                    }
                        .into_any()
                })
        }}
    }
}

/// The modal of one form.
#[component]
fn ActionModal(
    form: Form,
    dialog: DialogId,
    title: Option<String>,
    options: LocalResource<Result<ActionOptions, AppError>>,
    close: Callback<()>,
    /// Called after the change; true when messages were passed for review.
    done: Callback<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    crate::ui::components::common::close_on_escape(close);
    let heading = match form {
        Form::Close => "action.close_title",
        Form::Redirect => "action.redirect_title",
        Form::Pass => "action.pass_title",
        Form::Rename | Form::Helpers => "action.rename_title",
    };
    // The value chosen: a reason id, "user:ID" / "group:ID", or the new name.
    let value = RwSignal::new(if form == Form::Rename {
        title.unwrap_or_default()
    } else {
        String::new()
    });
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Messages picked in the chat (D8) are passed instead of the whole dialog.
    let selection = use_context::<ChatContext>()
        .and_then(|c| c.selected.get_untracked())
        .filter(|_| form == Form::Pass);
    let selected_count = selection.as_ref().map(|s| s.len().to_string());
    let hint_key = if selection.is_some() {
        "action.pass_selected_hint"
    } else {
        "action.pass_hint"
    };
    let title_text = move || match &selected_count {
        Some(n) => i18n.t_with("action.pass_selected_title", &[("n", n)]),
        None => i18n.t(heading),
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = value.get_untracked();
        let messages = selection.clone().unwrap_or_default();
        if selection.as_ref().is_some_and(Vec::is_empty) {
            error.set(Some("error.review.none_selected".into()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = match form {
                Form::Close => {
                    let reason = chosen.parse::<i64>().ok().map(CloseReasonId);
                    dialog_action(dialog, Action::Close { reason })
                        .await
                        .map(|_| false)
                }
                Form::Rename => dialog_action(
                    dialog,
                    Action::Rename {
                        title: Some(chosen),
                    },
                )
                .await
                .map(|_| false),
                Form::Redirect => match parse_target(&chosen) {
                    Some(to) => dialog_action(dialog, Action::Redirect { to })
                        .await
                        .map(|_| false),
                    None => Err(AppError::validation("to", "action.choose")),
                },
                Form::Helpers => Ok(false),
                Form::Pass => match chosen.strip_prefix("user:").and_then(|u| u.parse().ok()) {
                    Some(to) => pass_for_review(dialog, UserId(to), messages)
                        .await
                        .map(|_| true),
                    None => Err(AppError::validation("to", "action.choose")),
                },
            };
            busy.set(false);
            match result {
                Ok(passed) => done.run(passed),
                Err(e) => error.set(Some(e.key().to_owned())),
            }
        });
    };

    let field = move || {
        let o = options.get().and_then(|o| o.ok());
        match form {
            Form::Rename | Form::Helpers => view! {
                <label class="dlg-field">
                    <span class="dlg-field__label">{move || i18n.t("action.title")}</span>
                    <input
                        class="dlg-input"
                        name="title"
                        maxlength="200"
                        autofocus
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                    <span class="dlg-field__hint">{move || i18n.t("action.title_hint")}</span>
                </label>
            }
            .into_any(),
            Form::Close => {
                let (reasons, required) = o
                    .map(|o| (o.reasons, o.reason_required))
                    .unwrap_or_default();
                view! {
                    <label class="dlg-field">
                        <span class="dlg-field__label">{move || i18n.t("action.reason")}</span>
                        <select
                            class="dlg-input"
                            name="reason"
                            required=required
                            prop:value=move || value.get()
                            on:change=move |ev| value.set(event_target_value(&ev))
                        >
                            <option value="">
                                {move || {
                                    if required { i18n.t("action.choose") } else { i18n.t("action.reason_none") }
                                }}
                            </option>
                            {reasons
                                .into_iter()
                                .map(|r| view! { <option value=r.id.to_string()>{r.name}</option> })
                                .collect_view()}
                        </select>
                    </label>
                }
                .into_any()
            }
            Form::Redirect | Form::Pass => {
                let (users, groups) = o.map(|o| (o.users, o.groups)).unwrap_or_default();
                let groups = (form == Form::Redirect && !groups.is_empty()).then(|| {
                    view! {
                        <optgroup label=move || i18n.t("action.to_group")>
                            {groups
                                .into_iter()
                                .map(|g| {
                                    view! { <option value=format!("group:{}", g.id)>{g.name}</option> }
                                })
                                .collect_view()}
                        </optgroup>
                    }
                });
                view! {
                    <label class="dlg-field">
                        <span class="dlg-field__label">
                            {move || {
                                if form == Form::Pass { i18n.t("action.to_user") } else { i18n.t("action.redirect") }
                            }}
                        </span>
                        <select
                            class="dlg-input"
                            name="to"
                            required
                            prop:value=move || value.get()
                            on:change=move |ev| value.set(event_target_value(&ev))
                        >
                            <option value="">{move || i18n.t("action.choose")}</option>
                            <optgroup label=move || i18n.t("action.to_user")>
                                {users
                                    .into_iter()
                                    .map(|u| {
                                        view! { <option value=format!("user:{}", u.id)>{u.name}</option> }
                                    })
                                    .collect_view()}
                            </optgroup>
                            {groups}
                        </select>
                        <Show when=move || form == Form::Pass>
                            <span class="dlg-field__hint">{move || i18n.t(hint_key)}</span>
                        </Show>
                    </label>
                }
                .into_any()
            }
        }
    };

    view! {
        <div class="dlg-modal">
            <div class="dlg-modal__backdrop" on:click=move |_| close.run(())></div>
            <form
                class="dlg-modal__panel dlg-modal__panel--small"
                role="dialog"
                aria-modal="true"
                aria-labelledby="dlg-action-title"
                on:submit=submit
            >
                <header class="dlg-modal__head">
                    <h2 id="dlg-action-title">{title_text}</h2>
                </header>
                // No <Suspense> here: the bar that owns `options` is drawn again whenever a
                // live event refreshes the dialog, and a Suspense still waiting on a
                // resource of the bar it replaced would wake up reading a disposed value.
                {move || match options.with(Option::is_none) {
                    true => view! { <p>{move || i18n.t("inbox.loading")}</p> }.into_any(),
                    false => field().into_any(),
                }}
                {move || {
                    error
                        .get()
                        .map(|key| view! { <p class="dlg-field__error" role="alert">{i18n.t(&key)}</p> })
                }}
                <div class="dlg-modal__buttons">
                    <button type="button" class="dlg-button" on:click=move |_| close.run(())>
                        {move || i18n.t("action.cancel")}
                    </button>
                    <button
                        type="submit"
                        class="dlg-button dlg-button--primary"
                        disabled=move || busy.get()
                    >
                        {move || i18n.t(heading_button(form))}
                    </button>
                </div>
            </form>
        </div>
    }
}

fn heading_button(form: Form) -> &'static str {
    match form {
        Form::Close => "action.close",
        Form::Redirect => "action.redirect",
        Form::Pass => "action.pass",
        Form::Rename | Form::Helpers => "action.save",
    }
}

/// Co-assignees and observers (D5): who they are, and for the assignee and supervisors,
/// adding and removing them. The client sees nothing of it.
#[component]
fn HelpersModal(
    dialog: DialogId,
    helpers: Vec<Helper>,
    can_manage: bool,
    options: LocalResource<Result<ActionOptions, AppError>>,
    close: Callback<()>,
    done: Callback<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    crate::ui::components::common::close_on_escape(close);
    let error = RwSignal::new(None::<String>);
    let user = RwSignal::new(String::new());
    let role = RwSignal::new(HelperRole::CoAssignee);
    let change = move |action: Action| {
        error.set(None);
        spawn_local(async move {
            match dialog_action(dialog, action).await {
                Ok(_) => done.run(false),
                Err(e) => error.set(Some(e.key().to_owned())),
            }
        });
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = user.get_untracked().parse::<i64>() else {
            error.set(Some("action.choose".into()));
            return;
        };
        change(Action::AddHelper {
            user: UserId(id),
            role: role.get_untracked(),
        });
    };
    let role_label = |role: HelperRole| match role {
        HelperRole::CoAssignee => "action.co_assignee",
        HelperRole::Observer => "action.observer",
    };
    let rows = helpers
        .into_iter()
        .map(|h| {
            let (user, role) = (h.user_id, h.role);
            view! {
                <li class="dlg-helpers__item" data-role=role.as_str()>
                    <span class="dlg-helpers__name">{h.name}</span>
                    <span class="dlg-helpers__role">{move || i18n.t(role_label(role))}</span>
                    <Show when=move || can_manage>
                        <button
                            type="button"
                            class="dlg-button dlg-button--ghost"
                            on:click=move |_| change(Action::RemoveHelper { user, role })
                        >
                            {move || i18n.t("action.remove")}
                        </button>
                    </Show>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="dlg-modal">
            <div class="dlg-modal__backdrop" on:click=move |_| close.run(())></div>
            <div
                class="dlg-modal__panel dlg-modal__panel--small dlg-helpers"
                role="dialog"
                aria-modal="true"
                aria-labelledby="dlg-helpers-title"
            >
                <header class="dlg-modal__head">
                    <h2 id="dlg-helpers-title">{move || i18n.t("action.helpers_title")}</h2>
                </header>
                <p class="dlg-field__hint">{move || i18n.t("action.helpers_hint")}</p>
                <ul class="dlg-helpers__list">{rows}</ul>
                <Show when=move || can_manage>
                    <form class="dlg-helpers__add" on:submit=add>
                        <select
                            class="dlg-input"
                            name="user"
                            aria-label=move || i18n.t("action.to_user")
                            on:change=move |ev| user.set(event_target_value(&ev))
                        >
                            <option value="">{move || i18n.t("action.choose")}</option>
                            {move || {
                                options
                                    .get()
                                    .and_then(|o| o.ok())
                                    .map(|o| {
                                        o.users
                                            .into_iter()
                                            .map(|u| view! { <option value=u.id.to_string()>{u.name}</option> })
                                            .collect_view()
                                    })
                            }}
                        </select>
                        <select
                            class="dlg-input"
                            name="role"
                            aria-label=move || i18n.t("action.role")
                            on:change=move |ev| {
                                role.set(if event_target_value(&ev) == "observer" {
                                    HelperRole::Observer
                                } else {
                                    HelperRole::CoAssignee
                                })
                            }
                        >
                            <option value="co_assignee">{move || i18n.t("action.co_assignee")}</option>
                            <option value="observer">{move || i18n.t("action.observer")}</option>
                        </select>
                        <button type="submit" class="dlg-button dlg-button--primary">
                            {move || i18n.t("action.add")}
                        </button>
                    </form>
                </Show>
                {move || {
                    error
                        .get()
                        .map(|key| view! { <p class="dlg-field__error" role="alert">{i18n.t(&key)}</p> })
                }}
                <div class="dlg-modal__buttons">
                    <button type="button" class="dlg-button" on:click=move |_| close.run(())>
                        {move || i18n.t("action.done")}
                    </button>
                </div>
            </div>
        </div>
    }
}

/// "user:7" or "group:3".
fn parse_target(value: &str) -> Option<QueueTarget> {
    let (kind, id) = value.split_once(':')?;
    let id: i64 = id.parse().ok()?;
    match kind {
        "user" => Some(QueueTarget::User(UserId(id))),
        "group" => Some(QueueTarget::Group(GroupId(id))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_from_the_select_values() {
        assert_eq!(parse_target("user:7"), Some(QueueTarget::User(UserId(7))));
        assert_eq!(
            parse_target("group:3"),
            Some(QueueTarget::Group(GroupId(3)))
        );
        assert_eq!(parse_target("role:3"), None);
        assert_eq!(parse_target("user:x"), None);
        assert_eq!(parse_target(""), None);
    }

    #[test]
    fn every_button_has_its_own_shortcut() {
        let all = [
            ActionKind::Accept,
            ActionKind::Close,
            ActionKind::Redirect,
            ActionKind::ReturnToQueue,
            ActionKind::Read,
            ActionKind::Rename,
        ];
        let mut keys: Vec<char> = buttons(&all, true).iter().map(|b| b.2).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}
