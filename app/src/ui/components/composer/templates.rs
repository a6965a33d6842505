//! WhatsApp templates (E6): choosing an approved template, filling its `{{n}}` variables
//! with a live preview — in the "New dialog" form and, as the "#" bar, in an open dialog.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::messages::{dialog_templates, send_template};
use crate::domain::template::{ButtonKind, TemplateChoice, TemplateHeader, TemplateView, render};
use crate::domain::{DialogId, TemplateId};
use crate::i18n::use_i18n;

/// What an operator fills in for a template: which one, and the values of its header, body
/// variables and buttons. Owned by the form that sends it.
#[derive(Clone, Copy)]
pub struct TemplateForm {
    pub chosen: RwSignal<Option<TemplateId>>,
    variables: RwSignal<Vec<String>>,
    header: RwSignal<String>,
    buttons: RwSignal<Vec<String>>,
}

impl TemplateForm {
    pub fn new() -> TemplateForm {
        TemplateForm {
            chosen: RwSignal::new(None),
            variables: RwSignal::new(Vec::new()),
            header: RwSignal::new(String::new()),
            buttons: RwSignal::new(Vec::new()),
        }
    }

    /// Chooses `template` (or none) with empty values.
    fn choose(&self, template: Option<&TemplateView>) {
        self.chosen.set(template.map(|t| t.id));
        self.variables
            .set(vec![String::new(); template.map_or(0, |t| t.variables)]);
        self.header.set(String::new());
        self.buttons.set(vec![
            String::new();
            template.map_or(0, |t| t.parts.buttons.len())
        ]);
    }

    pub fn clear(&self) {
        self.choose(None);
    }

    /// The choice as the server takes it, if a template is chosen.
    pub fn choice(&self) -> Option<TemplateChoice> {
        self.chosen.get_untracked().map(|template_id| {
            let header = self.header.get_untracked();
            TemplateChoice {
                template_id,
                variables: self.variables.get_untracked(),
                header: (!header.trim().is_empty()).then_some(header),
                buttons: self.buttons.get_untracked(),
            }
        })
    }
}

impl Default for TemplateForm {
    fn default() -> Self {
        TemplateForm::new()
    }
}

/// One text input bound to the `i`-th value of `values`; its label beside it when `inline`
/// (a short `{{n}}`), above it otherwise.
#[component]
fn ValueInput(
    label: String,
    name: String,
    values: RwSignal<Vec<String>>,
    i: usize,
    #[prop(default = "1024")] maxlength: &'static str,
    #[prop(optional)] placeholder: String,
    #[prop(optional)] inline: bool,
) -> impl IntoView {
    view! {
        <label class=if inline { "dlg-field dlg-field--inline" } else { "dlg-field" }>
            <span class="dlg-field__label">{label}</span>
            <input
                class="dlg-input"
                name=name
                maxlength=maxlength
                placeholder=placeholder
                prop:value=move || values.with(|v| v.get(i).cloned().unwrap_or_default())
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    values
                        .update(|v| {
                            if let Some(slot) = v.get_mut(i) {
                                *slot = value;
                            }
                        });
                }
            />
        </label>
    }
}

/// The template select; inputs for the header, each body variable and each button that
/// takes a value; and the text the client will get.
#[component]
pub fn TemplateFields(
    templates: Vec<TemplateView>,
    form: TemplateForm,
    /// Offer "no template" (the New dialog form, where free text is allowed too).
    #[prop(optional)]
    optional: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let list = StoredValue::new(templates);
    let current = move || {
        form.chosen
            .get()
            .and_then(|id| list.with_value(|all| all.iter().find(|t| t.id == id).cloned()))
    };
    let on_choose = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev).parse::<i64>().ok().map(TemplateId);
        list.with_value(|all| form.choose(id.and_then(|id| all.iter().find(|t| t.id == id))));
    };
    view! {
        <label class="dlg-field">
            <span class="dlg-field__label">{move || i18n.t("template.choose")}</span>
            <select
                class="dlg-input"
                name="template"
                on:change=on_choose
                prop:value=move || form.chosen.get().map(|t| t.0.to_string()).unwrap_or_default()
            >
                {(optional || list.with_value(Vec::is_empty))
                    .then(|| view! { <option value="">{move || i18n.t("template.none")}</option> })}
                {list
                    .with_value(|all| {
                        all.iter()
                            .map(|t| {
                                // Listed so the operator knows it exists, but it cannot be sent.
                                let blocked = t.parts.unsupported.clone();
                                let label = match &blocked {
                                    None => format!("{} ({})", t.name, t.language),
                                    Some(why) => {
                                        format!(
                                            "{} ({}) — {}",
                                            t.name,
                                            t.language,
                                            i18n.t_with("template.unsupported", &[("what", why)]),
                                        )
                                    }
                                };
                                view! {
                                    <option value=t.id.0.to_string() disabled=blocked.is_some()>
                                        {label}
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
                    let header_input = t
                        .parts
                        .header
                        .clone()
                        .filter(TemplateHeader::takes_value)
                        .map(|header| {
                            let (key, maxlength, placeholder) = match header {
                                TemplateHeader::Text { .. } => ("template.header_text", "1024", ""),
                                TemplateHeader::Image => {
                                    ("template.header_image", "2048", "https://")
                                }
                                TemplateHeader::Video => {
                                    ("template.header_video", "2048", "https://")
                                }
                                TemplateHeader::Document => {
                                    ("template.header_document", "2048", "https://")
                                }
                            };
                            view! {
                                <label class="dlg-field">
                                    <span class="dlg-field__label">{move || i18n.t(key)}</span>
                                    <input
                                        class="dlg-input"
                                        name="template_header"
                                        maxlength=maxlength
                                        placeholder=placeholder
                                        prop:value=move || form.header.get()
                                        on:input=move |ev| form.header.set(event_target_value(&ev))
                                    />
                                </label>
                            }
                        });
                    let inputs = (0..t.variables)
                        .map(|i| {
                            view! {
                                <ValueInput
                                    label=format!("{{{{{}}}}}", i + 1)
                                    name=format!("variable{}", i + 1)
                                    values=form.variables
                                    i
                                    inline=true
                                />
                            }
                        })
                        .collect_view();
                    let button_inputs = t
                        .parts
                        .buttons
                        .iter()
                        .enumerate()
                        .map(|(i, button)| {
                            let label = match button.kind {
                                ButtonKind::Url => {
                                    i18n
                                        .t_with(
                                            "template.button_url",
                                            &[("name", &button.text), ("url", &button.url)],
                                        )
                                }
                                ButtonKind::CopyCode => i18n.t("template.button_code"),
                            };
                            view! {
                                <ValueInput
                                    label
                                    name=format!("template_button{}", i + 1)
                                    values=form.buttons
                                    i
                                />
                            }
                        })
                        .collect_view();
                    // The header as the chat will show it: its text, or the media's link.
                    let header_text = match &t.parts.header {
                        Some(TemplateHeader::Text { text }) => Some(text.clone()),
                        Some(_) => Some("{{1}}".to_owned()),
                        None => None,
                    };
                    let body = t.body.clone();
                    view! {
                        {header_input}
                        <div class="dlg-template__vars">{inputs}</div>
                        {button_inputs}
                        <p class="dlg-template__preview" aria-live="polite">
                            <span class="dlg-field__label">{move || i18n.t("template.preview")}</span>
                            {header_text
                                .map(|text| {
                                    view! {
                                        <strong class="dlg-template__header">
                                            {move || form.header.with(|h| render(&text, std::slice::from_ref(h)))}
                                        </strong>
                                    }
                                })}
                            {move || form.variables.with(|v| render(&body, v))}
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
    let form = TemplateForm::new();
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(choice) = form.choice() else {
            error.set(Some("template.error.unknown".into()));
            return;
        };
        pending.set(true);
        spawn_local(async move {
            let result = send_template(dialog_id, choice).await;
            pending.set(false);
            match result {
                Ok(_) => {
                    error.set(None);
                    open.set(false);
                    form.clear();
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
                                        <TemplateFields templates=list.clone() form />
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
                                            disabled=move || pending.get() || form.chosen.get().is_none()
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
