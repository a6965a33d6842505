//! Parts of the settings page (G1).

mod connect;
mod tokens;

pub use connect::ConnectChannel;
pub use tokens::ApiTokensSection;
