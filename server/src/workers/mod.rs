//! Background work that runs inside every app server.

pub mod housekeeping;
