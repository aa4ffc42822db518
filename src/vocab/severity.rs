//! Vendor severities (`Critical`, `Important`, `Moderate`, …) as notices spell them: one rule
//! for comparing them (baseline filters) and one for ranking them (reports).

/// The canonical form: lower case, `medium` as `moderate` (AWS documents the two as one on
/// Amazon Linux 2023; RHEL data says `Moderate` where the filter vocabulary says `Medium`).
pub fn canonical(severity: &str) -> String {
    let lower = severity.to_ascii_lowercase();
    if lower == "medium" {
        "moderate".to_string()
    } else {
        lower
    }
}

/// Whether two spellings name one severity (a filter value and a notice's severity).
pub fn same(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

/// Most severe first: critical 0, important or high 1, moderate or medium 2, low 3, any
/// other word 4, none (empty) 5; in any case.
pub fn rank(severity: &str) -> i32 {
    match canonical(severity).as_str() {
        "critical" => 0,
        "important" | "high" => 1,
        "moderate" => 2,
        "low" => 3,
        "" => 5,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_medium() {
        assert!(same("Medium", "Moderate") && same("moderate", "MEDIUM"));
        assert!(!same("Important", "Critical"));
        assert_eq!(rank("cRitical"), 0);
        assert_eq!(rank("HIGH"), 1);
        assert_eq!(rank("Medium"), 2);
        assert_eq!(rank("unrated"), 4);
        assert_eq!(rank(""), 5);
    }
}
