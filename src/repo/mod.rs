//! The update index: what updates a repository set offers, with their advisory attributes.

pub mod compress;
pub mod rpmmd;
