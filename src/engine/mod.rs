//! The rule engine: Patch Manager's Linux semantics, holding a baseline against what a host has
//! installed and what its repositories offer. [`approval`] decides, for one available package
//! version, whether the baseline approves it and why.

pub mod approval;
pub mod apt;
pub mod states;
