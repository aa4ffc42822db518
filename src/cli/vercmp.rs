//! `patchscan vercmp rpm|deb A B` and `--batch`.

use std::io::{BufRead, BufWriter, Write};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use patchscan::exit;
use patchscan::version::{ordering_symbol, DebVersion, RpmEvr};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Scheme {
    /// rpm ordering; A and B as `[epoch:]version[-release]` (release after the last `-`).
    Rpm,
    /// dpkg ordering; A and B as full dpkg version strings.
    Deb,
}

#[derive(Debug, Args)]
pub struct VercmpArgs {
    /// Which package manager's ordering to apply.
    #[arg(value_enum)]
    scheme: Scheme,
    /// First version (omit with --batch).
    #[arg(required_unless_present = "batch")]
    a: Option<String>,
    /// Second version (omit with --batch).
    #[arg(required_unless_present = "batch")]
    b: Option<String>,
    /// Read `A<TAB>B` pairs from standard input and print one answer per line.
    #[arg(long, conflicts_with_all = ["a", "b"])]
    batch: bool,
}

fn compare(scheme: Scheme, a: &str, b: &str) -> Result<&'static str> {
    let ord = match scheme {
        Scheme::Rpm => RpmEvr::parse(a)?.cmp(&RpmEvr::parse(b)?),
        Scheme::Deb => DebVersion::parse(a)?.cmp(&DebVersion::parse(b)?),
    };
    Ok(ordering_symbol(ord))
}

pub fn run(args: VercmpArgs) -> Result<i32> {
    if !args.batch {
        let (Some(a), Some(b)) = (args.a.as_deref(), args.b.as_deref()) else {
            bail!("vercmp needs two versions, or --batch");
        };
        println!("{}", compare(args.scheme, a, b)?);
        return Ok(exit::OK);
    }
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (index, line) in stdin.lines().enumerate() {
        let line = line.context("reading standard input")?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        let Some((a, b)) = line.split_once('\t') else {
            bail!("standard input line {}: expected A<TAB>B", index + 1);
        };
        let answer = compare(args.scheme, a, b)
            .with_context(|| format!("standard input line {}", index + 1))?;
        writeln!(out, "{answer}")?;
    }
    out.flush()?;
    Ok(exit::OK)
}
