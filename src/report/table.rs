//! The human table for `scan --format table`: a summary line, then the non-compliant patches
//! first, grouped by state and severity; colour when stdout is a terminal.

use std::fmt::Write;

use super::model::HostReport;
use crate::engine::decision::PatchState;
use crate::vocab::status::ComplianceStatus;

/// Renders a report for people. `explain` adds the reason column.
pub fn render(report: &HostReport, colour: bool, explain: bool) -> String {
    let s = &report.patch_state;
    let mut out = String::new();
    let status = match s.non_compliant_severity {
        Some(level) => paint(
            colour,
            "31;1",
            &format!("{} ({})", ComplianceStatus::NonCompliant, level.as_str()),
        ),
        None => paint(colour, "32;1", ComplianceStatus::Compliant.as_str()),
    };
    let _ = writeln!(
        out,
        "{} {status}  baseline {}  missing {}  installed {}  other {}  rejected {}  pending-reboot {}  not-applicable {}",
        s.instance_id,
        s.baseline_id,
        s.missing_count,
        s.installed_count,
        s.installed_other_count,
        s.installed_rejected_count,
        s.installed_pending_reboot_count,
        s.not_applicable_count,
    );
    let mut rows: Vec<_> = report.patches.iter().collect();
    let severity_rank = |sev: &str| match sev.to_ascii_lowercase().as_str() {
        "critical" => 0,
        "important" | "high" => 1,
        "moderate" | "medium" => 2,
        "low" => 3,
        _ => 4,
    };
    rows.sort_by(|a, b| {
        (
            !a.state.is_non_compliant(),
            a.state,
            severity_rank(&a.severity),
            &a.kb_id,
        )
            .cmp(&(
                !b.state.is_non_compliant(),
                b.state,
                severity_rank(&b.severity),
                &b.kb_id,
            ))
    });
    if rows.is_empty() {
        return out;
    }
    let headers = [
        "STATE",
        "PACKAGE",
        "INSTALLED",
        "CANDIDATE",
        "CLASS",
        "SEVERITY",
        "ADVISORIES",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|p| {
            let mut row = vec![
                p.state.as_str().to_string(),
                p.kb_id.clone(),
                p.installed_version.clone(),
                p.candidate_version.clone(),
                p.classification.clone(),
                p.severity.clone(),
                p.advisory_ids.join(","),
            ];
            if explain {
                row.push(p.reason.clone());
            }
            row
        })
        .collect();
    let mut header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    if explain {
        header.push("REASON".into());
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &[String]| {
        row.iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == row.len() {
                    c.clone()
                } else {
                    Padded(c, widths[i]).to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let _ = writeln!(out, "{}", line(&header));
    for (row, p) in cells.iter().zip(&rows) {
        let text = line(row);
        let code = match p.state {
            PatchState::Missing | PatchState::Failed | PatchState::InstalledRejected => "31",
            PatchState::InstalledPendingReboot => "33",
            _ => "",
        };
        let _ = writeln!(
            out,
            "{}",
            if code.is_empty() {
                text
            } else {
                paint(colour, code, &text)
            }
        );
    }
    out
}

fn paint(colour: bool, code: &str, text: &str) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Text left-aligned in a column of `width` characters, padded by hand: `format!`'s own width
/// is limited to 65,535 and panics past it, and a package name or advisory id from a hostile
/// file can be longer.
pub struct Padded<'a>(pub &'a str, pub usize);

impl std::fmt::Display for Padded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)?;
        let len = self.0.chars().count();
        for _ in len..self.1 {
            f.write_str(" ")?;
        }
        Ok(())
    }
}
