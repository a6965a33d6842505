//! Parts of the settings page (G1).

mod close_reasons;
mod connect;
mod tags;
mod tokens;

pub use close_reasons::CloseReasonsSection;
pub use connect::ConnectChannel;
pub use tags::TagsSection;
pub use tokens::ApiTokensSection;
