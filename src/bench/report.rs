//! The benchmark's result: rows with both sides and their ratio, printed as a table and written
//! as JSON.
use std::fmt::Write as _;
use std::path::Path;

use super::error::BenchResult;
use super::measure::Stat;

/// One line of the table: mirrorvault's value, the other side's (a peer, `cp -r`, or the target
/// when there is no peer), and the ratio (> 1 = mirrorvault better, whichever way the unit goes).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    pub metric: String,
    pub unit: String,
    pub higher_is_better: bool,
    pub mirrorvault: Stat,
    /// The other side's name (`restic`, `rustic`, `cp -r`, `target`).
    pub other: Option<String>,
    pub other_value: Option<Stat>,
    /// mirrorvault / other (higher is better) or other / mirrorvault (lower is better), on medians.
    pub ratio: Option<f64>,
    /// The goal, in words, and whether the median meets it.
    pub target: Option<String>,
    pub target_met: Option<bool>,
    pub note: String,
}

impl Row {
    pub fn new(metric: impl Into<String>, unit: impl Into<String>, higher_is_better: bool, ours: Stat) -> Row {
        Row { metric: metric.into(), unit: unit.into(), higher_is_better, mirrorvault: ours, other: None, other_value: None, ratio: None, target: None, target_met: None, note: String::new() }
    }

    pub fn vs(mut self, name: impl Into<String>, theirs: Stat) -> Row {
        let (a, b) = (self.mirrorvault.median, theirs.median);
        self.ratio = if a > 0.0 && b > 0.0 { Some(if self.higher_is_better { a / b } else { b / a }) } else { None };
        self.other = Some(name.into());
        self.other_value = Some(theirs);
        self
    }

    pub fn target(mut self, text: impl Into<String>, met: bool) -> Row {
        self.target = Some(text.into());
        self.target_met = Some(met);
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Row {
        self.note = text.into();
        self
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BenchReport {
    pub date: String,
    pub machine: String,
    pub version: String,
    pub dataset_bytes: u64,
    pub dataset: super::dataset::DatasetStats,
    pub runs: usize,
    pub cache_mode: String,
    pub peers: Vec<String>,
    pub rows: Vec<Row>,
    /// Every mirrorvault restore (source and mirror) matched the source tree's hash.
    pub restore_verified: bool,
    pub restore_checks: Vec<String>,
    pub notes: Vec<String>,
    pub elapsed_seconds: f64,
}

impl BenchReport {
    pub fn row(&self, metric_prefix: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.metric.starts_with(metric_prefix))
    }

    pub fn note(&mut self, text: impl Into<String>) {
        let text = text.into();
        println!("note: {text}");
        self.notes.push(text);
    }

    /// The table as Markdown (also what `bench` prints).
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| measurement | mirrorvault median (min) | other side median (min) | ratio | target | met |");
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for r in &self.rows {
            let ours = fmt_stat(&r.mirrorvault, &r.unit);
            let theirs = match (&r.other, &r.other_value) {
                (Some(n), Some(v)) => format!("{n}: {}", fmt_stat(v, &r.unit)),
                (Some(n), None) => n.clone(),
                _ => "–".into(),
            };
            let ratio = r.ratio.map(|x| format!("{x:.2}×")).unwrap_or_else(|| "–".into());
            let target = r.target.clone().unwrap_or_else(|| "–".into());
            let met = match r.target_met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "–",
            };
            let metric = if r.note.is_empty() { r.metric.clone() } else { format!("{} ({})", r.metric, r.note) };
            let _ = writeln!(s, "| {metric} | {ours} | {theirs} | {ratio} | {target} | {met} |");
        }
        s
    }

    pub fn print(&self) {
        println!();
        println!("mirrorvault bench — {} — {}", self.date, self.machine);
        println!("dataset {} ({} files, {} dirs), {} run(s) per measurement, caches: {}", super::dataset::human_bytes(self.dataset_bytes), self.dataset.files, self.dataset.dirs, self.runs, self.cache_mode);
        println!("peers: {}", if self.peers.is_empty() { "none".to_string() } else { self.peers.join(", ") });
        println!();
        print!("{}", self.table());
        println!();
        println!("ratio > 1 means mirrorvault is better (faster, smaller or lower) than the other side.");
        match (self.restore_checks.is_empty(), self.restore_verified) {
            (true, _) => println!("restore verified: no restore ran"),
            (false, true) => println!("restore verified: yes (restored tree hash = source tree hash)"),
            (false, false) => println!("restore verified: NO"),
        }
        for n in &self.notes {
            println!("note: {n}");
        }
    }

    pub fn write_json(&self, path: &Path) -> BenchResult<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec_pretty(self)?)?;
        Ok(())
    }
}

fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_stat(s: &Stat, unit: &str) -> String {
    if s.runs <= 1 {
        format!("{} {unit}", fmt_num(s.median))
    } else {
        format!("{} ({}) {unit}", fmt_num(s.median), fmt_num(if unit.ends_with("/s") { s.max } else { s.min }))
    }
}
