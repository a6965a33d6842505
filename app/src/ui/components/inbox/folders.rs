//! Folders (C5): the user's saved filters above the list, each with its live unread count;
//! the current filter can be saved as one, and the open folder renamed, moved or deleted.

use leptos::prelude::*;

use crate::api::folders::{delete_folder, list_folders, move_folder, rename_folder, save_folder};
use crate::domain::folder::{FolderView, MAX_NAME};
use crate::domain::{Counters, FolderId};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::realtime::use_realtime;
use crate::ui::pages::inbox::use_inbox;
use crate::ui::prefs::PagePrefs;

/// What the folder bar is doing besides showing the folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Editing {
    None,
    /// Naming the current filter to save it.
    Save,
    Rename(FolderId),
    /// Asking once more before deleting.
    Delete(FolderId),
}

#[component]
pub fn FolderBar() -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let live = use_realtime();
    let tz = expect_context::<PagePrefs>().tz_offset_minutes;
    let changed = RwSignal::new(0u32);
    let folders = Resource::new(
        move || (live.version.get(), live.local.get(), changed.get()),
        move |_| list_folders(tz),
    );
    let editing = RwSignal::new(Editing::None);
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let current = Memo::new(move |_| inbox.filter.with(|f| f.to_query()));
    let done = move |result: Result<(), AppError>| match result {
        Ok(()) => {
            editing.set(Editing::None);
            error.set(None);
            changed.update(|c| *c += 1);
        }
        Err(e) => error.set(Some(e.key().to_owned())),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = name.get_untracked();
        match editing.get_untracked() {
            Editing::Save => {
                let filter = current.get_untracked();
                leptos::task::spawn_local(async move {
                    done(save_folder(typed, filter).await.map(|_| ()));
                });
            }
            Editing::Rename(id) => {
                leptos::task::spawn_local(async move { done(rename_folder(id, typed).await) });
            }
            _ => {}
        }
    };
    let shift = move |id: FolderId, to: u32| {
        leptos::task::spawn_local(async move { done(move_folder(id, to).await) });
    };
    let remove = move |id: FolderId| {
        leptos::task::spawn_local(async move { done(delete_folder(id).await) });
    };

    let bar = move |list: Vec<FolderView>| {
        let last = list.len().saturating_sub(1) as u32;
        let open = list
            .iter()
            .enumerate()
            .find(|(_, f)| f.filter == current.get())
            .map(|(i, f)| (i as u32, i as u32 == last, f.id, f.name.clone()));
        let can_save = open.is_none() && inbox.filter.with(|f| f.narrows());
        let links = list
            .into_iter()
            .map(|f| {
                let active = f.filter == current.get();
                let href = if f.filter.is_empty() {
                    "/dialogs".to_owned()
                } else {
                    format!("/dialogs?{}", f.filter)
                };
                let zero = f.unread == 0;
                view! {
                    <a
                        class=if active { "dlg-folder dlg-folder--active" } else { "dlg-folder" }
                        href=href
                        aria-current=active.then_some("page")
                        data-folder=f.id.0
                    >
                        <span class="dlg-folder__name">{f.name}</span>
                        <span class=if zero { "dlg-badge dlg-badge--zero" } else { "dlg-badge" }>
                            {Counters::label(f.unread)}
                        </span>
                    </a>
                }
            })
            .collect_view();
        let tools = open.map(|(place, at_end, id, folder_name)| {
            view! {
                <div class="dlg-folders__tools">
                    <button
                        type="button"
                        class="dlg-icon-button"
                        data-folder-action="left"
                        title=move || i18n.t("folder.move_left")
                        aria-label=move || i18n.t("folder.move_left")
                        disabled=place == 0
                        on:click=move |_| shift(id, place.saturating_sub(1))
                    >
                        "←"
                    </button>
                    <button
                        type="button"
                        class="dlg-icon-button"
                        data-folder-action="right"
                        title=move || i18n.t("folder.move_right")
                        aria-label=move || i18n.t("folder.move_right")
                        disabled=at_end
                        on:click=move |_| shift(id, place + 1)
                    >
                        "→"
                    </button>
                    <button
                        type="button"
                        class="dlg-button dlg-button--ghost dlg-button--small"
                        data-folder-action="rename"
                        on:click=move |_| {
                            name.set(folder_name.clone());
                            error.set(None);
                            editing.set(Editing::Rename(id));
                        }
                    >
                        {move || i18n.t("folder.rename")}
                    </button>
                    {move || {
                        if editing.get() == Editing::Delete(id) {
                            view! {
                                <button
                                    type="button"
                                    class="dlg-button dlg-button--danger dlg-button--small"
                                    data-folder-action="confirm-delete"
                                    on:click=move |_| remove(id)
                                >
                                    {move || i18n.t("folder.delete_confirm")}
                                </button>
                            }
                                .into_any()
                        } else {
                            view! {
                                <button
                                    type="button"
                                    class="dlg-button dlg-button--ghost dlg-button--small"
                                    data-folder-action="delete"
                                    on:click=move |_| editing.set(Editing::Delete(id))
                                >
                                    {move || i18n.t("folder.delete")}
                                </button>
                            }
                                .into_any()
                        }
                    }}
                </div>
            }
        });
        view! {
            <nav class="dlg-folders" aria-label=move || i18n.t("folder.label")>
                {links}
                <Show when=move || can_save>
                    <button
                        type="button"
                        class="dlg-folder dlg-folder--save"
                        data-folder-action="save"
                        on:click=move |_| {
                            name.set(String::new());
                            error.set(None);
                            editing.set(Editing::Save);
                        }
                    >
                        {move || i18n.t("folder.save")}
                    </button>
                </Show>
            </nav>
            {tools}
        }
    };

    view! {
        <Transition>
            {move || Suspend::new(async move {
                bar(folders.await.unwrap_or_default())
            })}
        </Transition>
        <Show when=move || matches!(editing.get(), Editing::Save | Editing::Rename(_))>
            <form class="dlg-folders__form" on:submit=submit>
                <input
                    class="dlg-input"
                    name="folder-name"
                    maxlength=MAX_NAME
                    placeholder=move || i18n.t("folder.name")
                    aria-label=move || i18n.t("folder.name")
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                    autofocus
                />
                <button type="submit" class="dlg-button dlg-button--primary dlg-button--small">
                    {move || i18n.t("folder.ok")}
                </button>
                <button
                    type="button"
                    class="dlg-button dlg-button--ghost dlg-button--small"
                    on:click=move |_| editing.set(Editing::None)
                >
                    {move || i18n.t("folder.cancel")}
                </button>
            </form>
        </Show>
        {move || {
            error
                .get()
                .map(|key| view! { <p class="dlg-folders__error" role="alert">{i18n.t(&key)}</p> })
        }}
    }
}
