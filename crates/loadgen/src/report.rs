//! A scenario's result: a markdown table on stdout and `<out>/<scenario>.json`.

use serde_json::{Map, Value, json};

pub struct Report {
    pub scenario: &'static str,
    rows: Vec<[String; 3]>,
    json: Map<String, Value>,
    /// Every invariant held (a missed performance target does not fail a run).
    pub invariants_ok: bool,
}

impl Report {
    pub fn new(scenario: &'static str) -> Self {
        Self {
            scenario,
            rows: Vec::new(),
            json: Map::new(),
            invariants_ok: true,
        }
    }

    /// A figure, with the target for it ("" when none).
    pub fn row(&mut self, metric: &str, value: impl std::fmt::Display, target: &str) {
        self.rows
            .push([metric.to_owned(), value.to_string(), target.to_owned()]);
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.json.insert(key.to_owned(), value.into());
    }

    /// An invariant check: a row, and the run fails if it does not hold.
    pub fn invariant(&mut self, name: &str, held: bool, detail: impl std::fmt::Display) {
        let verdict = if held { "holds" } else { "VIOLATED" };
        self.row(
            &format!("invariant: {name}"),
            format!("{verdict} ({detail})"),
            "must hold",
        );
        self.invariants_ok &= held;
        let invariants = self.json.entry("invariants").or_insert_with(|| json!({}));
        if let Value::Object(map) = invariants {
            map.insert(
                name.to_owned(),
                json!({"held": held, "detail": detail.to_string()}),
            );
        }
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "\n### {}\n\n| metric | value | target |\n|---|---|---|\n",
            self.scenario
        );
        for [metric, value, target] in &self.rows {
            out.push_str(&format!("| {metric} | {value} | {target} |\n"));
        }
        out
    }

    pub fn write(&self, path: &std::path::Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut json = self.json.clone();
        json.insert("scenario".into(), self.scenario.into());
        json.insert("invariants_ok".into(), self.invariants_ok.into());
        json.insert(
            "table".into(),
            Value::Array(
                self.rows
                    .iter()
                    .map(|[m, v, t]| json!({"metric": m, "value": v, "target": t}))
                    .collect(),
            ),
        );
        std::fs::write(path, serde_json::to_string_pretty(&Value::Object(json))?)?;
        Ok(())
    }
}
