//! Reports: the types that are the output schema ([`model`]) and their renderings.

pub mod model;
pub mod table;
