mod dialog_list;
mod sections;
mod splitter;

pub use dialog_list::DialogList;
pub use sections::Sections;
pub use splitter::Splitter;
