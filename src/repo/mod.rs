//! The update index: what updates a repository set offers, with their advisory attributes.

pub mod apt;
pub mod compress;
pub mod index;
pub mod rpmmd;
