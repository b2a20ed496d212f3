//! `strata bench`: the JSON shape scripts read, pending workloads listed honestly, and
//! unknown workload names refused with the nearest name.

use super::support::{json_lines, strata};

#[test]
fn a_quick_workload_reports_both_sides_and_their_ratio() {
    let out = strata(&["bench", "--quick", "--only", "fault_warm", "--format", "json"]).ok();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{out}");
    let line = &lines[0];
    // The documented field order, as written (a parsed map would sort its keys).
    let positions: Vec<usize> =
        ["workload", "n", "strata_s", "baseline", "baseline_s", "ratio", "target", "ok"]
            .iter()
            .map(|key| out.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {out}")))
            .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "fields out of order: {out}");
    assert_eq!(line["workload"], "fault_warm");
    assert_eq!(line["n"], 2000);
    let (strata_s, baseline_s) = (line["strata_s"].as_f64().unwrap(), line["baseline_s"].as_f64().unwrap());
    assert!(strata_s > 0.0 && baseline_s > 0.0, "{line}");
    let ratio = line["ratio"].as_f64().unwrap();
    assert!((ratio - strata_s / baseline_s).abs() < 1e-9 * ratio.max(1.0), "{line}");
    assert_eq!(line["ok"].as_bool(), Some(ratio <= 0.5));
}

#[test]
fn pending_workloads_say_what_they_wait_for() {
    let out = strata(&["bench", "--quick", "--only", "batch_update", "--format", "json"]).ok();
    let lines = json_lines(&out);
    assert_eq!(lines[0]["status"], "pending", "{out}");
    assert!(lines[0]["needs"].as_str().unwrap().contains("issue 5"), "{out}");
}

#[test]
fn unknown_workloads_are_refused_with_the_nearest_name() {
    let err = strata(&["bench", "--only", "fetch_al"]).fails();
    assert!(err.starts_with("error: no workload \"fetch_al\" (did you mean \"fetch_all\"?)"), "{err}");
}
