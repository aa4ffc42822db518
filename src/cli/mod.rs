//! Command-line interface: clap definitions and one module per subcommand.

mod baseline_cmd;
mod demo;
mod fleet;
mod image;
mod inventory;
mod report;
mod scan;
pub mod ui;
mod vercmp;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use patchscan::exit;

pub(crate) const EXIT_CODES: &str = "\
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
    /// Colour the output: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ui::ColorWhen,
    /// Print only errors on stderr: no warnings, no progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Say on stderr what was read and how long it took.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
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
    /// Look inside disk images (`image inspect FILE`).
    #[command(subcommand)]
    Image(image::ImageCommand),
    /// Scan every host of a fleet manifest in parallel into Parquet/CSV/JSONL tables.
    #[command(after_help = EXIT_CODES)]
    Fleet(fleet::FleetArgs),
    /// Print the fleet view of a fleet run's Parquet tables.
    #[command(after_help = EXIT_CODES)]
    Report(report::ReportArgs),
    /// Run the bundled demo fleet end to end (Parquet under ./patchscan-out, then the report).
    #[command(after_help = EXIT_CODES)]
    Demo(demo::DemoArgs),
    /// Print a shell completion script (e.g. `patchscan completions bash >
    /// ~/.local/share/bash-completion/completions/patchscan`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages: patchscan.1 and one per command (patchscan-scan.1, …) into DIR.
    Man {
        /// Directory to write them into (created when missing).
        #[arg(default_value = ".")]
        dir: std::path::PathBuf,
    },
}

/// `patchscan completions SHELL`.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "patchscan", &mut std::io::stdout());
    Ok(exit::OK)
}

/// `patchscan man DIR`: the top-level page and one per subcommand (nested ones as
/// `patchscan-baseline-show.1`), each written whole and renamed into place.
fn man(dir: &std::path::Path) -> anyhow::Result<i32> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    let mut written = Vec::new();
    fn pages(
        cmd: clap::Command,
        name: String,
        dir: &std::path::Path,
        written: &mut Vec<std::path::PathBuf>,
    ) -> anyhow::Result<()> {
        use anyhow::Context;
        let cmd = cmd.name(name.clone());
        let mut roff = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut roff)?;
        let path = dir.join(format!("{name}.1"));
        let tmp = dir.join(format!(".{name}.1.tmp-{}", std::process::id()));
        std::fs::write(&tmp, &roff).with_context(|| format!("{}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("{}", path.display()))?;
        written.push(path);
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            pages(
                sub.clone(),
                format!("{name}-{}", sub.get_name()),
                dir,
                written,
            )?;
        }
        Ok(())
    }
    pages(Cli::command(), "patchscan".into(), dir, &mut written)?;
    for path in &written {
        ui::note(&format!("wrote {}", path.display()));
    }
    println!("{} man pages in {}", written.len(), dir.display());
    Ok(exit::OK)
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn run() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `--color` decides how clap itself prints help and usage errors, so it is looked for
    // before the arguments are parsed.
    let mut when = ui::ColorWhen::Auto;
    for (i, a) in args.iter().enumerate() {
        let a = a.to_string_lossy();
        let value = match a.strip_prefix("--color=") {
            Some(v) => Some(v.to_string()),
            None if a == "--color" => args.get(i + 1).map(|v| v.to_string_lossy().into_owned()),
            None => None,
        };
        if let Some(v) = value.and_then(|v| clap::ValueEnum::from_str(&v, false).ok()) {
            when = v;
        }
    }
    let parsed = Cli::command()
        .color(ui::clap_color(when))
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
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
    ui::set(ui::Ui {
        color: cli.color,
        quiet: cli.quiet,
        verbose: cli.verbose,
    });
    let result = match cli.command {
        Command::Vercmp(args) => vercmp::run(args),
        Command::Baseline(cmd) => baseline_cmd::run(cmd),
        Command::Inventory(args) => inventory::run(args),
        Command::Image(cmd) => image::run(cmd),
        Command::Scan(args) => scan::run(args),
        Command::Fleet(args) => fleet::run(args),
        Command::Report(args) => report::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Completions { shell } => completions(shell),
        Command::Man { dir } => man(&dir),
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
