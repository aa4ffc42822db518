//! `patchscan baseline validate|show`.

use anyhow::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Validate baseline files.
    Validate {
        /// Baseline JSON files.
        files: Vec<std::path::PathBuf>,
    },
}

pub fn run(_cmd: BaselineCommand) -> Result<i32> {
    anyhow::bail!("not yet")
}
