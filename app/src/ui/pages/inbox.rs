//! The inbox (C1): the dialog list on the left, the open dialog on the right.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use crate::domain::filter::{DialogFilter, FilterError};
use crate::domain::{DialogId, Section};
use crate::i18n::use_i18n;
use crate::realtime::provide_realtime;
use crate::ui::components::common::Topbar;
use crate::ui::components::composer::provide_drafts;
use crate::ui::components::inbox::{DialogList, Splitter};

/// Filters and the open dialog, all taken from the URL so links, tabs and Back work.
#[derive(Clone, Copy)]
pub struct InboxState {
    /// The list's filter (C5); the default one when the URL's is not valid.
    pub filter: Memo<DialogFilter>,
    /// Why the URL's filter is not valid, if it is not.
    pub filter_error: Memo<Option<FilterError>>,
    pub section: Memo<Section>,
    pub include_closed: Memo<bool>,
    pub open_id: Memo<Option<DialogId>>,
    /// The filter's query string ("?section=…" or empty), kept on links between dialogs.
    pub search: Memo<String>,
    pathname: Memo<String>,
}

impl InboxState {
    /// The address of the current page (the open dialog stays open) with another filter.
    pub fn href(&self, filter: &DialogFilter) -> String {
        let path = self.pathname.get_untracked();
        match filter.to_query() {
            q if q.is_empty() => path,
            q => format!("{path}?{q}"),
        }
    }

    /// The address of the list with another filter, reactive to the open dialog.
    pub fn href_tracked(&self, filter: &DialogFilter) -> String {
        self.pathname.track();
        self.href(filter)
    }
}

pub fn use_inbox() -> InboxState {
    expect_context::<InboxState>()
}

#[component]
pub fn InboxPage() -> impl IntoView {
    provide_realtime();
    provide_drafts();
    let location = use_location();
    let parsed = Memo::new(move |_| DialogFilter::parse(&location.search.get()));
    let filter = Memo::new(move |_| parsed.get().unwrap_or_default());
    let filter_error = Memo::new(move |_| parsed.get().err());
    let section = Memo::new(move |_| filter.read().section);
    let include_closed = Memo::new(move |_| filter.read().closed);
    let pathname = Memo::new(move |_| location.pathname.get());
    let open_id = Memo::new(move |_| {
        pathname
            .get()
            .strip_prefix("/dialogs/")
            .and_then(|rest| rest.parse::<i64>().ok())
            .map(DialogId)
    });
    // The filter's canonical query string (what else the URL held, like a message to
    // open at, stays behind).
    let search = Memo::new(move |_| match filter.read().to_query() {
        q if q.is_empty() => String::new(),
        q => format!("?{q}"),
    });
    provide_context(InboxState {
        filter,
        filter_error,
        section,
        include_closed,
        open_id,
        search,
        pathname,
    });
    let list_width = RwSignal::new(
        crate::ui::prefs::PagePrefs::current()
            .list_width
            .unwrap_or(crate::ui::prefs::LIST_WIDTH_DEFAULT),
    );

    view! {
        <div class="dlg-app">
            <Topbar />
            <div
                class=move || {
                    if open_id.get().is_some() { "dlg-inbox dlg-inbox--open" } else { "dlg-inbox" }
                }
                style=move || format!("--dlg-list-width: {}px", list_width.get())
            >
                <DialogList />
                <Splitter width=list_width />
                <section class="dlg-chat">
                    <Outlet />
                </section>
            </div>
        </div>
    }
}

/// The right pane when no dialog is open.
#[component]
pub fn EmptyChat() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="dlg-chat__empty">
            <h2>{move || i18n.t("chat.empty_title")}</h2>
            <p>{move || i18n.t("chat.empty_text")}</p>
        </div>
    }
}
