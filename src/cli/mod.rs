//! Command-line interface: clap definitions and one module per subcommand.

mod baseline_cmd;
mod demo;
mod fleet;
mod inventory;
mod report;
mod scan;
mod vercmp;

use clap::{Parser, Subcommand};

use patchscan::exit;

const EXIT_CODES: &str = "\
Exit codes:
  0  done (and, where the command judges, all good)
  1  the judgement failed (invalid baseline, --fail-on met)
  2  usage error or unreadable input
  3  partial: some fleet hosts could not be scanned (all other results written)";

/// Offline AWS Patch Manager baseline evaluation for Linux hosts, images and fleets.
#[derive(Debug, Parser)]
#[command(name = "patchscan", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare two package versions as rpm or dpkg orders them; prints <, = or >.
    #[command(after_help = EXIT_CODES)]
    Vercmp(vercmp::VercmpArgs),
    /// Validate and show AWS patch baselines.
    #[command(subcommand)]
    Baseline(baseline_cmd::BaselineCommand),
    /// Scan one host (or machine image): Patch Manager's verdict per patch and AWS:PatchSummary.
    #[command(after_help = EXIT_CODES)]
    Scan(scan::ScanArgs),
    /// List installed packages from an RPM database, without rpm (the offline `rpm -qa`).
    #[command(after_help = EXIT_CODES)]
    Inventory(inventory::InventoryArgs),
    /// Scan every host of a fleet manifest in parallel into Parquet/CSV/JSONL tables.
    #[command(after_help = EXIT_CODES)]
    Fleet(fleet::FleetArgs),
    /// Print the fleet view of a fleet run's Parquet tables.
    #[command(after_help = EXIT_CODES)]
    Report(report::ReportArgs),
    /// Run the bundled demo fleet end to end (Parquet under ./patchscan-out, then the report).
    #[command(after_help = EXIT_CODES)]
    Demo(demo::DemoArgs),
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE_OR_INPUT
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Vercmp(args) => vercmp::run(args),
        Command::Baseline(cmd) => baseline_cmd::run(cmd),
        Command::Inventory(args) => inventory::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Fleet(args) => fleet::run(args),
        Command::Report(args) => report::run(args),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("patchscan: {}", error_text(&e));
            exit::USAGE_OR_INPUT
        }
    }
}

/// What `--fail-on` takes, in `scan` and `fleet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOnArg {
    /// Any patch Missing, InstalledRejected, InstalledPendingReboot or Failed.
    Noncompliant,
    /// A non-compliant security patch (SecurityNonCompliantCount above 0).
    Security,
    /// Non-compliant at compliance level CRITICAL.
    Critical,
    /// Non-compliant at HIGH or above.
    High,
    /// Non-compliant at MEDIUM or above.
    Medium,
    /// Non-compliant at LOW or above.
    Low,
    /// Non-compliant at INFORMATIONAL or above.
    Informational,
    /// Any warning (stale metadata, a baseline entry that matches nothing, PRODUCT filters that
    /// shut the host out, …).
    Warnings,
}

impl FailOnArg {
    /// The library's condition.
    pub fn condition(self) -> patchscan::report::model::FailOn {
        use patchscan::baseline::ComplianceLevel as L;
        use patchscan::report::model::FailOn;
        match self {
            FailOnArg::Noncompliant => FailOn::NonCompliant,
            FailOnArg::Security => FailOn::Security,
            FailOnArg::Critical => FailOn::AtLeast(L::Critical),
            FailOnArg::High => FailOn::AtLeast(L::High),
            FailOnArg::Medium => FailOn::AtLeast(L::Medium),
            FailOnArg::Low => FailOn::AtLeast(L::Low),
            FailOnArg::Informational => FailOn::AtLeast(L::Informational),
            FailOnArg::Warnings => FailOn::Warnings,
        }
    }
}

/// An error and its causes on one line, each said once: a cause whose text the message before
/// it already holds (`{path}: {source}` errors that also name their source) is not repeated.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[derive(Debug, thiserror::Error)]
    #[error("/x/root: {source}")]
    struct Named {
        #[source]
        source: std::io::Error,
    }

    /// `scan --root /missing` printed "No such file or directory (os error 2)" twice.
    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let said = io.to_string();
        let e = anyhow::Error::new(Named { source: io }).context("reading host a");
        let text = error_text(&e);
        assert_eq!(text.matches(&said).count(), 1, "{text}");
        assert!(text.starts_with("reading host a: /x/root: "), "{text}");
    }
}
