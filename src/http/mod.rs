//! The protocol, pure: no sockets, no clocks, no disk.
//!
//! `request` turns bytes into a [`request::Request`] (or says the head is incomplete or
//! invalid, and why); `response` holds a [`response::Response`] and its exact wire encoding;
//! `explain` says to a student what arrived and what was expected when a request is refused
//! or never ends.

pub mod date;
mod diagnose;
pub mod explain;
pub mod grammar;
pub mod method;
pub mod request;
mod request_error;
pub mod response;
pub mod status;
pub mod version;

pub use date::{DateCache, Now};
pub use request::{Limits, Parsed, Request, RequestError, Version};
pub use response::{Body, FieldValue, Response};
pub use status::Status;
