mod dialog_list;
mod dialog_menu;
mod filter_bar;
mod folders;
mod new_dialog;
mod search;
mod sections;
mod splitter;

pub use dialog_list::DialogList;
pub use filter_bar::FilterBar;
pub use folders::FolderBar;
pub use new_dialog::NewDialogButton;
pub use sections::Sections;
pub use splitter::Splitter;
