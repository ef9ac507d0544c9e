//! The protocol, pure: no sockets, no clocks, no disk.
//!
//! `request` turns bytes into a [`request::Request`] (or says the head is incomplete or
//! invalid, and why); `response` holds a [`response::Response`] and its exact wire encoding;
//! `range`, `conditional` and `multipart` are the partial and conditional GET (RFC 9110 §13,
//! §14), shared by the server and the client side; `explain` says to a student what arrived and what was expected when a request is refused
//! or never ends.

pub mod conditional;
pub mod date;
mod diagnose;
pub mod explain;
pub mod grammar;
pub mod method;
pub mod multipart;
pub mod range;
pub mod request;
mod request_error;
pub mod response;
pub mod status;
pub mod version;

pub use date::{DateCache, Now};
pub use request::{Limits, Parsed, Request, RequestError, Version};
pub use response::{Body, FieldValue, Response};
pub use status::Status;
