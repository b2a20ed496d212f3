//! `strata bench`: the JSON shape scripts read, and unknown workload names refused with the
//! nearest name.

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
fn batch_workloads_compare_batch_requests_with_raw_statements() {
    for (workload, baseline) in [("batch_update", "raw UPDATE"), ("batch_insert", "raw INSERTs")] {
        let out = strata(&["bench", "--quick", "--only", workload, "--format", "json"]).ok();
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1, "{out}");
        assert_eq!(lines[0]["workload"], workload, "{out}");
        assert_eq!(lines[0]["baseline"], baseline, "{out}");
        assert_eq!(lines[0]["n"], 10_000, "{out}");
        assert!(lines[0]["ratio"].as_f64().unwrap() > 0.0, "{out}");
    }
}

#[test]
fn unknown_workloads_are_refused_with_the_nearest_name() {
    let err = strata(&["bench", "--only", "fetch_al"]).fails();
    assert!(err.starts_with("error: no workload \"fetch_al\" (did you mean \"fetch_all\"?)"), "{err}");
}

/// The figure lines of a workload without a baseline, checked against their documented shape.
fn figure_lines(workload: &str) -> Vec<serde_json::Value> {
    let out = strata(&["bench", "--quick", "--only", workload, "--format", "json"]).ok();
    let positions: Vec<usize> = ["workload", "n", "figure", "value", "unit", "target", "ok"]
        .iter()
        .map(|key| out.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {out}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "fields out of order: {out}");
    let lines = json_lines(&out);
    for line in &lines {
        assert_eq!(line["workload"], workload, "{out}");
        assert!(line["value"].as_f64().is_some_and(f64::is_finite), "{line}");
        match line["target"].as_f64() {
            Some(target) => assert_eq!(line["ok"].as_bool(), Some(line["value"].as_f64().unwrap() <= target)),
            None => assert!(line["ok"].is_null() && line["target"].is_null(), "{line}"),
        }
    }
    lines
}

#[test]
fn history_overhead_compares_history_on_with_history_off() {
    let out = strata(&["bench", "--quick", "--only", "history_overhead", "--format", "json"]).ok();
    let line = &json_lines(&out)[0];
    assert_eq!(line["n"], 10_000, "{out}");
    assert_eq!(line["target"], 1.25, "{out}");
    assert!(line["baseline"].as_str().unwrap().contains("history off"), "{out}");
    assert!(line["strata_s"].as_f64().unwrap() > 0.0, "{out}");
}

#[test]
fn merge_reports_milliseconds_without_a_target() {
    let lines = figure_lines("merge");
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0]["figure"].as_str(), lines[0]["unit"].as_str()), (Some("merge_changes"), Some("ms")));
    assert_eq!(lines[0]["n"], 2000);
    assert!(lines[0]["value"].as_f64().unwrap() > 0.0, "{}", lines[0]);
}

#[test]
fn notify_latency_reports_p50_and_p99_from_another_process() {
    let lines = figure_lines("notify_latency");
    let figures: Vec<_> =
        lines.iter().map(|l| (l["figure"].as_str().unwrap(), l["target"].as_f64())).collect();
    assert_eq!(figures, [("p50", Some(50.0)), ("p99", Some(500.0))]);
    assert!(lines.iter().all(|l| l["unit"] == "µs" && l["n"] == 100));
    assert!(lines[0]["value"].as_f64() <= lines[1]["value"].as_f64(), "p50 above p99: {lines:?}");
}

#[test]
#[cfg(target_os = "linux")]
fn fetch_memory_reports_the_peak_growth_of_its_own_process() {
    let lines = figure_lines("fetch_memory");
    assert_eq!(lines.len(), 1);
    // "…, fill included" where the kernel cannot reset the peak.
    assert!(lines[0]["figure"].as_str().unwrap().starts_with("peak RSS growth"), "{}", lines[0]);
    assert_eq!((lines[0]["unit"].as_str(), lines[0]["target"].as_f64()), (Some("MiB"), Some(64.0)));
    assert_eq!(lines[0]["n"], 20_000);
}

#[test]
fn the_table_lists_figure_workloads_with_their_units() {
    let out = strata(&["bench", "--quick", "--only", "merge"]).ok();
    assert!(out.contains("merge_changes") && out.contains(" ms"), "{out}");
}

#[test]
fn peers_that_cannot_run_are_skipped_with_the_reason() {
    let tree = tempfile::tempdir().unwrap();
    let repo = tree.path().to_str().unwrap();
    let out =
        strata(&["bench", "--quick", "--only", "fetch_all", "--peers", "--repo", repo, "--format", "json"])
            .ok();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0]["workload"], "fetch_all", "{out}");
    for (line, peer) in lines[1..].iter().zip(["diesel", "sqlalchemy"]) {
        assert_eq!((line["peer"].as_str(), line["status"].as_str()), (Some(peer), Some("skipped")), "{out}");
        let reason = line["reason"].as_str().unwrap();
        assert!(reason.contains("bench/peers/Cargo.toml") && reason.contains("--repo DIR"), "{reason}");
    }
}

#[test]
fn peers_need_a_workload_they_run() {
    let err = strata(&["bench", "--only", "fault_warm", "--peers"]).fails();
    assert!(err.starts_with("error: --peers compares insert and fetch_all"), "{err}");
}
