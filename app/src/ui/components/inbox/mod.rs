mod dialog_list;
mod dialog_menu;
mod new_dialog;
mod sections;
mod splitter;

pub use dialog_list::DialogList;
pub use new_dialog::NewDialogButton;
pub use sections::Sections;
pub use splitter::Splitter;
