//! Parts of the settings page (G1).

mod connect;

pub use connect::ConnectChannel;
