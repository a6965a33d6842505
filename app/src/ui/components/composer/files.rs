//! Files in the composer (E3): the paperclip, drag and drop, pasted images. Each file is
//! uploaded as soon as it is chosen (`POST /files`) and shown as a chip with its state (and,
//! while it goes up, how much of it has); the message then names the uploads it sends.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::domain::{MAX_FILES_PER_MESSAGE, MAX_UPLOAD_BYTES, UploadId, UploadView};
use crate::i18n::use_i18n;

/// A file chosen in the composer.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingFile {
    pub key: u64,
    pub name: String,
    pub size: f64,
    pub state: FileState,
    /// Percent of the file sent so far, while uploading.
    pub progress: RwSignal<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FileState {
    Uploading,
    Ready(UploadId),
    /// A message key.
    Failed(String),
}

/// The composer's files, shared by the paperclip, the drop zone and the send button.
#[derive(Clone, Copy)]
pub struct ComposerFiles {
    pub list: RwSignal<Vec<PendingFile>>,
    next: StoredValue<u64>,
}

impl ComposerFiles {
    pub fn new() -> ComposerFiles {
        ComposerFiles {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }

    /// Any file still on its way up.
    pub fn uploading(&self) -> bool {
        self.list
            .with(|l| l.iter().any(|f| f.state == FileState::Uploading))
    }

    /// The uploads the message sends, in the order chosen.
    pub fn ready(&self) -> Vec<UploadId> {
        self.list.with(|l| {
            l.iter()
                .filter_map(|f| match f.state {
                    FileState::Ready(id) => Some(id),
                    _ => None,
                })
                .collect()
        })
    }

    pub fn clear(&self) {
        self.list.set(Vec::new());
    }

    /// Starts uploading every file of a list (chosen, dropped or pasted).
    pub fn add(&self, files: web_sys::FileList) {
        for i in 0..files.length() {
            let Some(file) = files.get(i) else { continue };
            let key = self.next.get_value();
            self.next.set_value(key + 1);
            let too_many = self.list.with(|l| l.len()) >= MAX_FILES_PER_MESSAGE;
            let size = file.size();
            let state = if too_many {
                FileState::Failed("composer.error_too_many_files".into())
            } else if size > MAX_UPLOAD_BYTES as f64 {
                FileState::Failed("composer.error_file_too_large".into())
            } else {
                FileState::Uploading
            };
            let uploading = state == FileState::Uploading;
            let progress = RwSignal::new(0u8);
            self.list.update(|l| {
                l.push(PendingFile {
                    key,
                    name: file.name(),
                    size,
                    state,
                    progress,
                })
            });
            if uploading {
                let list = self.list;
                spawn_local(async move {
                    let state = match upload(&file, progress).await {
                        Ok(view) => FileState::Ready(view.id),
                        Err(key) => FileState::Failed(key),
                    };
                    list.update(|l| {
                        if let Some(f) = l.iter_mut().find(|f| f.key == key) {
                            f.state = state;
                        }
                    });
                });
            }
        }
    }
}

impl Default for ComposerFiles {
    fn default() -> Self {
        Self::new()
    }
}

/// Sends one file to `POST /files`, telling `progress` how much of it has gone; Err is a
/// message key. XMLHttpRequest, not fetch: only it reports upload progress.
async fn upload(file: &web_sys::File, progress: RwSignal<u8>) -> Result<UploadView, String> {
    let failed = |_| "composer.error_upload".to_owned();
    let xhr = web_sys::XmlHttpRequest::new().map_err(failed)?;
    xhr.open_with_async("POST", "/files", true)
        .map_err(failed)?;
    let name = js_sys::encode_uri_component(&file.name());
    xhr.set_request_header("X-File-Name", &String::from(name))
        .map_err(failed)?;
    let mime = file.type_();
    let mime = if mime.is_empty() {
        "application/octet-stream".to_owned()
    } else {
        mime
    };
    xhr.set_request_header("Content-Type", &mime)
        .map_err(failed)?;
    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            if event.length_computable() && event.total() > 0.0 {
                let percent = (event.loaded() / event.total() * 100.0).floor();
                // 100 % only once the server has answered.
                progress.set(percent.clamp(0.0, 99.0) as u8);
            }
        });
    xhr.upload()
        .map_err(failed)?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    // Settles when the request ends in any way: answered, failed or aborted.
    let ended = js_sys::Promise::new(&mut |resolve, _| {
        let done = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        xhr.set_onloadend(Some(done.unchecked_ref()));
    });
    xhr.send_with_opt_blob(Some(file)).map_err(failed)?;
    wasm_bindgen_futures::JsFuture::from(ended)
        .await
        .map_err(failed)?;
    drop(on_progress);
    let text = xhr.response_text().map_err(failed)?.unwrap_or_default();
    match xhr.status().map_err(failed)? {
        200 => {
            progress.set(100);
            serde_json::from_str(&text).map_err(|_| "composer.error_upload".to_owned())
        }
        413 => Err("composer.error_file_too_large".into()),
        401 => Err("error.unauthorized".into()),
        _ => Err("composer.error_upload".into()),
    }
}

fn human_size(bytes: f64) -> String {
    if bytes >= 1_048_576.0 {
        format!("{:.1} MB", bytes / 1_048_576.0)
    } else if bytes >= 1024.0 {
        format!("{:.0} KB", bytes / 1024.0)
    } else {
        format!("{bytes:.0} B")
    }
}

/// The paperclip: a button opening the file chooser.
#[component]
pub fn AttachButton(files: ComposerFiles) -> impl IntoView {
    let i18n = use_i18n();
    let input = NodeRef::<leptos::html::Input>::new();
    view! {
        <button
            type="button"
            class="dlg-button dlg-button--ghost dlg-button--icon dlg-composer__attach"
            aria-label=move || i18n.t("composer.attach")
            title=move || i18n.t("composer.attach")
            on:click=move |_| {
                if let Some(el) = input.get_untracked() {
                    el.click();
                }
            }
        >
            <svg class="dlg-composer__clip" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                <path
                    d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48"
                    fill="none"
                    stroke="currentColor"
                    stroke-width="2"
                    stroke-linecap="round"
                    stroke-linejoin="round"
                />
            </svg>
        </button>
        <input
            type="file"
            multiple
            hidden
            node_ref=input
            class="dlg-composer__file-input"
            on:change=move |ev| {
                let Some(el) = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                    return;
                };
                if let Some(list) = el.files() {
                    files.add(list);
                }
                // Choosing the same file again fires "change" again.
                el.set_value("");
            }
        />
    }
}

/// The chosen files as chips, with the upload ids the form sends.
#[component]
pub fn FileChips(files: ComposerFiles) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Show when=move || files.list.with(|l| !l.is_empty())>
            <ul class="dlg-composer__files" aria-label=move || i18n.t("composer.files")>
                <For
                    each=move || files.list.get()
                    key=|f| (f.key, format!("{:?}", f.state))
                    children=move |f| {
                        let key = f.key;
                        let progress = f.progress;
                        let busy = f.state == FileState::Uploading;
                        let (class, note) = match &f.state {
                            FileState::Uploading => ("dlg-chip dlg-chip--busy", String::new()),
                            FileState::Ready(_) => ("dlg-chip", human_size(f.size)),
                            FileState::Failed(k) => ("dlg-chip dlg-chip--failed", i18n.t(k)),
                        };
                        let note = move || {
                            if busy {
                                format!("{} {} %", i18n.t("composer.uploading"), progress.get())
                            } else {
                                note.clone()
                            }
                        };
                        view! {
                            <li
                                class=class
                                data-file=f.name.clone()
                                style:--progress=move || busy.then(|| format!("{}%", progress.get()))
                            >
                                <span class="dlg-chip__name">{f.name.clone()}</span>
                                <span
                                    class="dlg-chip__note"
                                    role=busy.then_some("progressbar")
                                    aria-valuemin=busy.then_some("0")
                                    aria-valuemax=busy.then_some("100")
                                    aria-valuenow=move || busy.then(|| progress.get().to_string())
                                >
                                    {note}
                                </span>
                                <button
                                    type="button"
                                    class="dlg-chip__remove"
                                    aria-label=move || i18n.t("composer.remove_file")
                                    on:click=move |_| files.list.update(|l| l.retain(|x| x.key != key))
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </Show>
        {move || {
            files
                .ready()
                .into_iter()
                .enumerate()
                .map(|(i, id)| {
                    view! { <input type="hidden" name=format!("files[{i}]") value=id.0.to_string() /> }
                })
                .collect_view()
        }}
    }
}
