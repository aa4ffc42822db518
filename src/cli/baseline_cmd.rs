//! `patchscan baseline validate FILE...` and `patchscan baseline show NAME|FILE`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Subcommand, ValueEnum};

use patchscan::baseline::{self, Approval, Baseline, Level, LoadedBaseline};
use patchscan::exit;

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Check baseline files against AWS's fields, enums and limits.
    ///
    /// Accepts `get-patch-baseline` output, `create-patch-baseline --cli-input-json` input and
    /// BaselineOverride arrays. Errors and warnings go to stderr as `FILE: FIELD: message`.
    /// Exit 0 when every file is valid (warnings allowed), 1 when any is invalid, 2 when a
    /// file cannot be read or is not JSON of a baseline shape.
    Validate {
        /// Baseline JSON files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a baseline, normalised (defaults filled in), by predefined name or file path.
    Show {
        /// A predefined name (e.g. AWS-AmazonLinux2023DefaultPatchBaseline) or a file.
        baseline: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Json)]
        format: ShowFormat,
    },
    /// List the predefined baselines and the operating system each is the default for.
    List,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    /// `get-patch-baseline` JSON.
    Json,
    /// A readable summary of the rules.
    Table,
}

pub fn run(cmd: BaselineCommand) -> Result<i32> {
    match cmd {
        BaselineCommand::Validate { files } => Ok(validate(&files)),
        BaselineCommand::Show { baseline, format } => show(&baseline, format),
        BaselineCommand::List => {
            for name in baseline::predefined::names() {
                if let Some(b) = baseline::predefined::load(name) {
                    println!("{name}\t{}", b.baseline.operating_system);
                }
            }
            Ok(exit::OK)
        }
    }
}

fn validate(files: &[PathBuf]) -> i32 {
    let mut code = exit::OK;
    for path in files {
        match baseline::check_file(path) {
            Err(e @ baseline::BaselineError::Shape { .. }) => {
                eprintln!("{e}");
                eprintln!("{}: invalid", path.display());
                code = code.max(exit::JUDGEMENT_FAILED);
            }
            Err(e) => {
                eprintln!("{e}");
                code = code.max(exit::USAGE_OR_INPUT);
            }
            Ok(check) => {
                for doc in &check.documents {
                    for d in &doc.diagnostics {
                        eprintln!("{}: {d}", doc.origin);
                    }
                    let errors = doc
                        .diagnostics
                        .iter()
                        .filter(|d| d.level == Level::Error)
                        .count();
                    if errors > 0 {
                        eprintln!("{}: invalid ({errors} error(s))", doc.origin);
                        code = code.max(exit::JUDGEMENT_FAILED);
                    } else {
                        eprintln!("{}: valid", doc.origin);
                    }
                }
            }
        }
    }
    code
}

fn show(spec: &str, format: ShowFormat) -> Result<i32> {
    let loaded = baseline::load_all(spec)?;
    for l in &loaded {
        for w in &l.warnings {
            eprintln!("{}: {w}", l.baseline.origin);
        }
    }
    match format {
        ShowFormat::Json => {
            let docs: Vec<_> = loaded.iter().map(|l| l.baseline.to_document()).collect();
            let text = if docs.len() == 1 {
                serde_json::to_string_pretty(&docs[0])?
            } else {
                serde_json::to_string_pretty(&docs)?
            };
            println!("{text}");
        }
        ShowFormat::Table => {
            for (i, l) in loaded.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", render_table(l));
            }
        }
    }
    Ok(exit::OK)
}

fn filters_text(filters: &[baseline::PatchFilter]) -> String {
    if filters.is_empty() {
        return "(none: everything passes)".into();
    }
    filters
        .iter()
        .map(|f| format!("{} in [{}]", f.key.as_str(), f.values.join(", ")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn render_table(loaded: &LoadedBaseline) -> String {
    use std::fmt::Write;
    let b: &Baseline = &loaded.baseline;
    let mut s = String::new();
    let _ = writeln!(s, "Baseline          {}", b.name);
    let _ = writeln!(s, "Id                {}", b.report_id());
    let _ = writeln!(s, "Operating system  {}", b.operating_system);
    if let Some(d) = &b.description {
        let _ = writeln!(s, "Description       {d}");
    }
    let _ = writeln!(s, "Global filters    {}", filters_text(&b.global_filters));
    let _ = writeln!(s, "Approval rules    {}", b.approval_rules.len());
    let dates_apply = b.operating_system.supports_approval_dates();
    for (i, r) in b.approval_rules.iter().enumerate() {
        let when = match r.approval {
            Approval::AfterDays(d) => format!("{d} days after release"),
            Approval::UntilDate(date) => {
                format!(
                    "released on or before {}",
                    baseline::validate::format_date(date)
                )
            }
            Approval::Unset => "immediately".into(),
        };
        let when = if dates_apply {
            when
        } else {
            format!("immediately ({when} is ignored on APT systems)")
        };
        let _ = writeln!(s, "  rule {i}          {}", filters_text(&r.filters));
        let _ = writeln!(
            s,
            "                  approve {when}; compliance {}; non-security updates {}",
            r.compliance_level.as_str(),
            if r.enable_non_security {
                "included"
            } else {
                "excluded"
            }
        );
    }
    let list = |v: &[baseline::PatchPattern]| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(
        s,
        "Approved patches  {}  (compliance {}, non-security {})",
        list(&b.approved_patches),
        b.approved_patches_compliance_level.as_str(),
        if b.approved_patches_enable_non_security {
            "included"
        } else {
            "excluded"
        }
    );
    let _ = writeln!(
        s,
        "Rejected patches  {}  (action {})",
        list(&b.rejected_patches),
        b.rejected_patches_action.as_str()
    );
    if !b.sources.is_empty() {
        let names: Vec<_> = b.sources.iter().map(|x| x.name.as_str()).collect();
        let _ = writeln!(s, "Sources           {}", names.join(", "));
    }
    s
}
