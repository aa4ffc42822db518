//! Shared vocabulary: the small decisions every layer uses, each with one home (operating
//! systems, times as users write them, compliance statuses). A leaf: it imports nothing of
//! the crate.

pub mod os;
pub(crate) mod plain;
pub mod severity;
pub mod status;
pub mod time;
pub mod warning;
