//! Reports: the types that are the output schema ([`model`]) and their renderings — text
//! tables, and for fleets the two tables of [`fleet`] in Parquet, CSV, JSON Lines and AWS
//! inventory payloads, plus the fleet view read back from Parquet.

pub mod aws;
pub mod aws_cli;
pub mod csv;
pub mod fleet;
pub mod jsonl;
pub mod model;
pub mod outdir;
pub mod parquet;
pub mod table;
pub mod view;
