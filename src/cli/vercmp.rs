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
    /// Print nothing; exit 0 when `A OP B` holds and 1 when not, for `if` in scripts. OP is
    /// `<`, `<=`, `=`, `>=`, `>`, `!=` or dpkg's `lt`, `le`, `eq`, `ge`, `gt`, `ne`, `<<`, `>>`.
    /// `<` and `>` are strict, as `vercmp` prints them (dpkg's deprecated `<` and `>` mean
    /// `<=` and `>=`: use `lt`/`gt` or `<<`/`>>` for dpkg's strict ones).
    #[arg(long, value_name = "OP", value_parser = parse_relation, conflicts_with = "batch")]
    test: Option<Relation>,
}

/// A relation `--test` asks about.
#[derive(Debug, Clone, Copy)]
struct Relation {
    /// The orderings of A against B that make it hold.
    holds_for: &'static [std::cmp::Ordering],
}

fn parse_relation(s: &str) -> Result<Relation, String> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let holds_for: &'static [std::cmp::Ordering] = match s {
        "<" | "lt" | "<<" => &[Less],
        "<=" | "le" => &[Less, Equal],
        "=" | "==" | "eq" => &[Equal],
        ">=" | "ge" => &[Greater, Equal],
        ">" | "gt" | ">>" => &[Greater],
        "!=" | "ne" => &[Less, Greater],
        _ => {
            return Err(format!(
                "{s:?} is not one of <, <=, =, >=, >, != (or lt, le, eq, ge, gt, ne)"
            ))
        }
    };
    Ok(Relation { holds_for })
}

fn ordering(scheme: Scheme, a: &str, b: &str) -> Result<std::cmp::Ordering> {
    Ok(match scheme {
        Scheme::Rpm => RpmEvr::parse(a)?.cmp(&RpmEvr::parse(b)?),
        Scheme::Deb => DebVersion::parse(a)?.cmp(&DebVersion::parse(b)?),
    })
}

fn compare(scheme: Scheme, a: &str, b: &str) -> Result<&'static str> {
    Ok(ordering_symbol(ordering(scheme, a, b)?))
}

pub fn run(args: VercmpArgs) -> Result<i32> {
    if !args.batch {
        let (Some(a), Some(b)) = (args.a.as_deref(), args.b.as_deref()) else {
            bail!("vercmp needs two versions, or --batch");
        };
        if let Some(relation) = args.test {
            let holds = relation.holds_for.contains(&ordering(args.scheme, a, b)?);
            return Ok(if holds {
                exit::OK
            } else {
                exit::JUDGEMENT_FAILED
            });
        }
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
