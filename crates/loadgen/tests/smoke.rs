//! Every scenario in smoke mode, so the harness cannot rot: `loadgen all --smoke --self-serve`
//! starts each service as a child `loadgen serve` (this crate's own binary, so no other binaries
//! need building), drives it, checks the invariants and writes a JSON file per scenario.

use std::process::Command;

#[test]
fn every_scenario_runs_in_smoke_mode_and_its_invariants_hold() {
    let out = std::env::temp_dir().join(format!("loadgen-smoke-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["all", "--smoke", "--self-serve", "--out"])
        .arg(&out)
        .status()
        .expect("running loadgen");
    assert!(status.success(), "loadgen all --smoke failed: {status}");
    let listed = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .arg("scenarios")
        .output()
        .expect("listing the scenarios");
    let scenarios = String::from_utf8(listed.stdout).expect("names");
    assert!(scenarios.lines().count() >= 9, "{scenarios}");
    for scenario in scenarios.lines() {
        let path = out.join(format!("{scenario}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let result: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(result["scenario"], scenario, "{}", path.display());
        assert_eq!(result["invariants_ok"], true, "{scenario}: {text}");
        let rows = result["table"].as_array().map_or(0, Vec::len);
        assert!(rows >= 3, "{scenario} reports its figures, got {rows} rows");
    }
    let _ = std::fs::remove_dir_all(&out);
}
