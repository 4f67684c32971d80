//! The disaster-recovery drill report of a SQL Server restore: drawn in the wizard's result step,
//! saved as Markdown (for people) and JSON (for tools) side by side.
//!
//! The JSON file is the backend's `Restore.Report` as it is on the wire (`api::sqlserver::DrillReport`,
//! PascalCase): `RestoreId`, `SourceVaultId`, `SourceRegionId`, `RestoreVaultId`, `RestoreRegionId`,
//! `RestoredFromMirror`, `SourceClusterId`, `SourceDatabaseName`, `TargetClusterId`,
//! `TargetServerName`, `TargetEngineLabel`, `TargetDatabaseName`, `SnapshotId`, `BackupPointTime`,
//! `DrillStartTime`, `DrillEndTime` (UNIX seconds), `RpoSeconds`, `MirrorLagSecondsAtStart`,
//! `RtoSeconds`, `BytesMoved`, `Verification` (`IntegrityOk`, `IntegrityMessage`, `RowCountsMatch`,
//! `ExpectedRowCounts`, `ActualRowCounts`) and `Errors[]`.
use std::path::{Path, PathBuf};

use egui::{RichText, Ui};

use super::{format, muted, palette};
use crate::api::sqlserver::{DrillReport, Verification};

pub const CHECK: &str = "✔";
pub const CROSS: &str = "✖";

/// Both report files, `<name>.md` and `<name>.json`, side by side from the path the user chose
/// (a chosen `.md` or `.json` extension is replaced; any other name gets both appended).
pub fn report_paths(chosen: &Path) -> (PathBuf, PathBuf) {
    let known = chosen.extension().is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("json"));
    let base = if known { chosen.with_extension("") } else { chosen.to_path_buf() };
    let with = |ext: &str| {
        let mut name = base.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(ext);
        base.with_file_name(name)
    };
    (with(".md"), with(".json"))
}

/// The suggested file name (without extension) for a report.
pub fn suggested_name(report: &DrillReport) -> String {
    format!("drill-{}-{}", report.target_database_name, report.restore_id)
}

/// The report as pretty JSON, in the documented wire shape.
pub fn to_json(report: &DrillReport) -> String {
    serde_json::to_string_pretty(report).expect("a drill report always serializes")
}

/// Writes `<stem>.md` and `<stem>.json`; returns both paths.
pub fn save(report: &DrillReport, chosen: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    let (md, json) = report_paths(chosen);
    std::fs::write(&md, to_markdown(report))?;
    std::fs::write(&json, to_json(report) + "\n")?;
    Ok((md, json))
}

/// True when the restored database passed both checks and the drill recorded no error.
pub fn passed(report: &DrillReport) -> bool {
    report.errors.is_empty() && report.verification.integrity_ok && report.verification.row_counts_match
}

/// The report as a Markdown document.
pub fn to_markdown(r: &DrillReport) -> String {
    let v = &r.verification;
    let mut md = String::new();
    md.push_str(&format!("# Disaster-recovery drill: {}\n\n", r.source_database_name));
    md.push_str(&format!("**Result:** {}\n\n", if passed(r) { "passed" } else { "FAILED" }));
    md.push_str("| | |\n|---|---|\n");
    let rows = [
        ("Restore", r.restore_id.clone()),
        ("Source vault", format!("{} ({})", r.source_vault_id, r.source_region_id)),
        ("Restored from", format!("{} ({}){}", r.restore_vault_id, r.restore_region_id, if r.restored_from_mirror { ", mirror vault" } else { "" })),
        ("Source database", format!("{} on {}", r.source_database_name, r.source_cluster_id)),
        ("Backup point", format!("{} ({})", format::datetime(r.backup_point_time), r.snapshot_id)),
        ("Target", format!("{} on {} ({}, {})", r.target_database_name, r.target_server_name, r.target_cluster_id, r.target_engine_label)),
        ("Drill started", format::datetime(r.drill_start_time)),
        ("Drill ended", format::datetime(r.drill_end_time)),
        ("RPO", format!("{} (age of the restored point when the drill started)", format::duration(r.rpo_seconds))),
        ("Mirror lag at start", format::duration(r.mirror_lag_seconds_at_start)),
        ("RTO", format!("{} (drill start to verified database)", format::duration(r.rto_seconds))),
        ("Bytes moved", format!("{} ({} bytes)", format::bytes(r.bytes_moved), r.bytes_moved)),
    ];
    for (k, val) in rows {
        md.push_str(&format!("| {k} | {} |\n", val.replace('|', "\\|")));
    }
    md.push_str("\n## Verification\n\n");
    md.push_str(&format!("- Integrity: {} {}\n", if v.integrity_ok { "passed" } else { "FAILED" }, if v.integrity_message.is_empty() { String::new() } else { format!("({})", v.integrity_message) }));
    md.push_str(&format!("- Row counts: {}\n\n", if v.row_counts_match { "match" } else { "DIFFER" }));
    md.push_str("| Table | Expected rows | Actual rows | |\n|---|---:|---:|---|\n");
    for (table, expected, actual) in row_count_rows(v) {
        let ok = actual == Some(expected);
        let actual = actual.map(|a| a.to_string()).unwrap_or_else(|| "missing".into());
        md.push_str(&format!("| {table} | {expected} | {actual} | {} |\n", if ok { "ok" } else { "MISMATCH" }));
    }
    md.push_str("\n## Errors\n\n");
    if r.errors.is_empty() {
        md.push_str("None.\n");
    } else {
        for e in &r.errors {
            md.push_str(&format!("- {e}\n"));
        }
    }
    md
}

/// `(table, expected, actual)` for every table either side knows, sorted by table.
pub fn row_count_rows(v: &Verification) -> Vec<(String, u64, Option<u64>)> {
    let mut tables: Vec<&String> = v.expected_row_counts.keys().chain(v.actual_row_counts.keys()).collect();
    tables.sort();
    tables.dedup();
    tables
        .into_iter()
        .map(|t| (t.clone(), v.expected_row_counts.get(t).copied().unwrap_or(0), v.actual_row_counts.get(t).copied()))
        .collect()
}

/// Integrity and row counts of a restored database.
pub fn verification_ui(ui: &mut Ui, v: &Verification) {
    ui.horizontal(|ui| {
        let (mark, color, word) = if v.integrity_ok { (CHECK, palette::OK, "passed") } else { (CROSS, palette::ERROR, "failed") };
        ui.label(RichText::new(format!("{mark} Integrity {word}")).color(color).strong());
        if !v.integrity_message.is_empty() {
            ui.label(muted(ui, format!("({})", v.integrity_message)));
        }
    });
    let (mark, color, word) = if v.row_counts_match { (CHECK, palette::OK, "Row counts match") } else { (CROSS, palette::ERROR, "Row counts differ") };
    ui.label(RichText::new(format!("{mark} {word}")).color(color).strong());
    ui.add_space(4.0);
    egui::Grid::new("row-counts").num_columns(4).striped(true).spacing([28.0, 4.0]).show(ui, |ui| {
        for h in ["Table", "Expected rows", "Actual rows", ""] {
            ui.label(RichText::new(h).strong());
        }
        ui.end_row();
        for (table, expected, actual) in row_count_rows(v) {
            let ok = actual == Some(expected);
            ui.label(RichText::new(&table).monospace());
            ui.label(expected.to_string());
            ui.label(actual.map(|a| a.to_string()).unwrap_or_else(|| "missing".into()));
            ui.label(if ok { RichText::new(CHECK).color(palette::OK) } else { RichText::new(CROSS).color(palette::ERROR) });
            ui.end_row();
        }
    });
}

/// The drill report's facts: where from, where to, RPO, RTO, lag, bytes, errors.
/// `vault_name` turns a vault ID into its name where the console knows it.
pub fn report_ui(ui: &mut Ui, r: &DrillReport, vault_name: impl Fn(&str) -> String) {
    egui::Grid::new("drill-report").num_columns(4).spacing([20.0, 5.0]).min_col_width(90.0).show(ui, |ui| {
        let cell = |ui: &mut Ui, k: &str, val: String| {
            ui.label(muted(ui, k));
            ui.label(val);
        };
        cell(ui, "Source vault", format!("{} · {}", vault_name(&r.source_vault_id), r.source_region_id));
        cell(ui, "Restored from", format!("{}{} · {}", vault_name(&r.restore_vault_id), if r.restored_from_mirror { " (mirror)" } else { "" }, r.restore_region_id));
        ui.end_row();
        cell(ui, "Source database", r.source_database_name.clone());
        cell(ui, "Target database", format!("{} ({})", r.target_database_name, r.target_engine_label));
        ui.end_row();
        cell(ui, "Backup point", format::datetime(r.backup_point_time));
        cell(ui, "Drill started", format::datetime(r.drill_start_time));
        ui.end_row();
        ui.label(muted(ui, "RPO")).on_hover_text("Age of the restored backup point when the drill started");
        ui.label(RichText::new(format::duration(r.rpo_seconds)).strong());
        ui.label(muted(ui, "RTO")).on_hover_text("From the drill's start to the verified database");
        ui.label(RichText::new(format::duration(r.rto_seconds)).strong());
        ui.end_row();
        cell(ui, "Mirror lag at start", format::duration(r.mirror_lag_seconds_at_start));
        cell(ui, "Bytes moved", format::bytes(r.bytes_moved));
        ui.end_row();
    });
    ui.add_space(4.0);
    if r.errors.is_empty() {
        ui.label(RichText::new(format!("{CHECK} No errors")).color(palette::OK));
    } else {
        for e in &r.errors {
            super::error_label(ui, format!("{CROSS} {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_json_carry_the_facts() {
        let mut r = DrillReport { restore_id: "rs-1".into(), source_database_name: "sales".into(), target_database_name: "sales_drill".into(), rpo_seconds: 75, rto_seconds: 3, bytes_moved: 2048, ..Default::default() };
        r.verification.integrity_ok = true;
        r.verification.row_counts_match = true;
        r.verification.expected_row_counts.insert("orders".into(), 7);
        r.verification.actual_row_counts.insert("orders".into(), 7);
        let md = to_markdown(&r);
        assert!(md.contains("**Result:** passed"), "{md}");
        assert!(md.contains("| RPO | 1m 15s"), "{md}");
        assert!(md.contains("| orders | 7 | 7 | ok |"), "{md}");
        let v: serde_json::Value = serde_json::from_str(&to_json(&r)).unwrap();
        assert_eq!(v["RpoSeconds"], 75);
        assert_eq!(v["Verification"]["ExpectedRowCounts"]["orders"], 7);
        r.errors.push("boom".into());
        assert!(to_markdown(&r).contains("**Result:** FAILED"));
        assert_eq!(report_paths(Path::new("/tmp/x/report.md")), (PathBuf::from("/tmp/x/report.md"), PathBuf::from("/tmp/x/report.json")));
        assert_eq!(report_paths(Path::new("/tmp/x/drill-v1.2")), (PathBuf::from("/tmp/x/drill-v1.2.md"), PathBuf::from("/tmp/x/drill-v1.2.json")));
    }
}
