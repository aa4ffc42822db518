//! The rule engine: Patch Manager's Linux semantics, holding a baseline against what a host has
//! installed and what its repositories offer. [`approval`] decides, for one available package
//! version, whether the baseline approves it and why; [`decision`] holds what an engine
//! decides and the steps both take alike; [`rpm`] (RPM family and SUSE) and `apt` find and
//! judge the candidate versions of their package families.

pub mod approval;
pub(crate) mod apt;
pub mod decision;
pub mod rpm;
