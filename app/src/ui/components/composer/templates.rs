//! WhatsApp templates (E6): choosing an approved template, filling its `{{n}}` variables
//! with a live preview — in the "New dialog" form and, as the "#" bar, in an open dialog.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::messages::{dialog_templates, send_template};
use crate::domain::template::{TemplateChoice, TemplateView, render};
use crate::domain::{DialogId, TemplateId};
use crate::i18n::use_i18n;

/// The template select, one input per variable, and the text the client will get.
/// `chosen` and `variables` belong to the caller, which sends them.
#[component]
pub fn TemplateFields(
    templates: Vec<TemplateView>,
    chosen: RwSignal<Option<TemplateId>>,
    variables: RwSignal<Vec<String>>,
    /// Offer "no template" (the New dialog form, where free text is allowed too).
    #[prop(optional)]
    optional: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let list = StoredValue::new(templates);
    let current = move || {
        chosen
            .get()
            .and_then(|id| list.with_value(|all| all.iter().find(|t| t.id == id).cloned()))
    };
    let on_choose = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev).parse::<i64>().ok().map(TemplateId);
        chosen.set(id);
        let count = id
            .and_then(|id| {
                list.with_value(|all| all.iter().find(|t| t.id == id).map(|t| t.variables))
            })
            .unwrap_or(0);
        variables.set(vec![String::new(); count]);
    };
    view! {
        <label class="dlg-field">
            <span class="dlg-field__label">{move || i18n.t("template.choose")}</span>
            <select
                class="dlg-input"
                name="template"
                on:change=on_choose
                prop:value=move || chosen.get().map(|t| t.0.to_string()).unwrap_or_default()
            >
                {(optional || list.with_value(Vec::is_empty))
                    .then(|| view! { <option value="">{move || i18n.t("template.none")}</option> })}
                {list
                    .with_value(|all| {
                        all.iter()
                            .map(|t| {
                                view! {
                                    <option value=t.id.0.to_string()>
                                        {format!("{} ({})", t.name, t.language)}
                                    </option>
                                }
                            })
                            .collect_view()
                    })}
            </select>
        </label>
        {move || {
            current()
                .map(|t| {
                    let inputs = (0..t.variables)
                        .map(|i| {
                            view! {
                                <label class="dlg-field dlg-field--inline">
                                    <span class="dlg-field__label">{format!("{{{{{}}}}}", i + 1)}</span>
                                    <input
                                        class="dlg-input"
                                        name=format!("variable{}", i + 1)
                                        maxlength="1024"
                                        prop:value=move || {
                                            variables.with(|v| v.get(i).cloned().unwrap_or_default())
                                        }
                                        on:input=move |ev| {
                                            let value = event_target_value(&ev);
                                            variables
                                                .update(|v| {
                                                    if let Some(slot) = v.get_mut(i) {
                                                        *slot = value;
                                                    }
                                                });
                                        }
                                    />
                                </label>
                            }
                        })
                        .collect_view();
                    let body = t.body.clone();
                    view! {
                        <div class="dlg-template__vars">{inputs}</div>
                        <p class="dlg-template__preview" aria-live="polite">
                            <span class="dlg-field__label">{move || i18n.t("template.preview")}</span>
                            {move || variables.with(|v| render(&body, v))}
                        </p>
                    }
                })
        }}
    }
}

/// The "#" bar of an open WhatsApp dialog: send an approved template, the only message
/// WhatsApp delivers once the client has been silent for 24 hours. Renders nothing for
/// other channels or without the right to send.
#[component]
pub fn TemplateBar(dialog_id: DialogId, can_send: bool, on_sent: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let templates = Resource::new(move || dialog_id, dialog_templates);
    let open = RwSignal::new(false);
    let chosen = RwSignal::new(None::<TemplateId>);
    let variables = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(template_id) = chosen.get_untracked() else {
            error.set(Some("template.error.unknown".into()));
            return;
        };
        let choice = TemplateChoice {
            template_id,
            variables: variables.get_untracked(),
        };
        pending.set(true);
        spawn_local(async move {
            let result = send_template(dialog_id, choice).await;
            pending.set(false);
            match result {
                Ok(_) => {
                    error.set(None);
                    open.set(false);
                    chosen.set(None);
                    variables.set(Vec::new());
                    on_sent.run(());
                }
                Err(e) => error.set(Some(e.key().to_owned())),
            }
        });
    };
    view! {
        <Transition>
            {move || Suspend::new(async move {
                let list = templates.await.unwrap_or_default();
                (can_send && !list.is_empty())
                    .then(|| {
                        view! {
                            <div class="dlg-template">
                                <button
                                    type="button"
                                    class="dlg-button dlg-template__toggle"
                                    aria-expanded=move || open.get().to_string()
                                    on:click=move |_| open.update(|o| *o = !*o)
                                >
                                    {move || i18n.t("template.button")}
                                </button>
                                <Show when=move || open.get()>
                                    <form class="dlg-template__form" on:submit=send>
                                        <p class="dlg-template__hint">{move || i18n.t("template.hint")}</p>
                                        <TemplateFields templates=list.clone() chosen variables />
                                        {move || {
                                            error
                                                .get()
                                                .map(|key| {
                                                    view! {
                                                        <p class="dlg-composer__error" role="alert">
                                                            {i18n.t(&key)}
                                                        </p>
                                                    }
                                                })
                                        }}
                                        <button
                                            type="submit"
                                            class="dlg-button dlg-button--primary"
                                            disabled=move || pending.get() || chosen.get().is_none()
                                        >
                                            {move || i18n.t("template.send")}
                                        </button>
                                    </form>
                                </Show>
                            </div>
                        }
                    })
            })}
        </Transition>
    }
}
