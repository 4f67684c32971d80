//! `mirrorvault bench` end to end at a small size (CI smoke test): every phase runs, and what
//! was restored (from the source vault and from its mirror) equals the source tree. Speed is
//! reported, never asserted.
use mirrorvault::bench::{self, BenchArgs};

#[test]
fn bench_runs_end_to_end_and_restores_exactly() {
    let work = tempfile::tempdir().expect("temp dir");
    let json = work.path().join("bench.json");
    let size = std::env::var("MIRRORVAULT_BENCH_SMOKE_SIZE").ok().and_then(|s| bench::dataset::parse_size(&s).ok()).unwrap_or(48 << 20);
    let args = BenchArgs {
        size,
        runs: 1,
        json: Some(json.clone()),
        work_dir: Some(work.path().to_path_buf()),
        // restic / rustic take part when installed; the bench skips them with a note otherwise
        skip_peers: false,
        memory_size: "24MiB".into(),
        lag_backups: 10,
        api_vaults: 2000,
        api_requests: 800,
        catalog_jobs: 20_000,
        catalog_snapshots: 2_000,
        startup_vaults: 200,
        startup_snapshots: 2_000,
        console_vaults: 1000,
        burst_backups: 6,
        burst_size: 2 << 20,
        server_exe: Some(env!("CARGO_BIN_EXE_mirrorvault").into()),
        ..BenchArgs::default()
    };
    let report = bench::run(args).expect("bench runs");

    assert!(report.restore_verified, "restored data differs from the source: {:?}", report.restore_checks);
    assert!(report.restore_checks.iter().any(|c| c.contains("source vault") && c.ends_with("identical")), "{:?}", report.restore_checks);
    assert!(report.restore_checks.iter().any(|c| c.contains("mirror vault") && c.ends_with("identical")), "{:?}", report.restore_checks);
    assert!(report.restore_checks.iter().any(|c| c.contains("after prune") && c.ends_with("identical")), "{:?}", report.restore_checks);
    for prefix in [
        "first backup",
        "incremental backup",
        "incremental: stored / changed bytes",
        "restore latest snapshot",
        "mirror sync (full vault)",
        "mirror sync vs cp -r",
        "real-time lag p99",
        "API DescribeVaults p99",
        "catalog at scale: DescribeBackupJobs2 p99",
        "catalog at scale: DescribeSnapshots p99",
        "catalog at scale: DescribeVaults p99",
        "startup at scale: first DescribeVaults answer",
        "console Overview frame time, p99",
        "backend peak RSS during backup",
        "backend peak RSS during incremental backup",
        "prune time",
        "prune peak RSS",
        "space freed",
        "backup through an agent",
        "agent: bytes sent for an unchanged re-backup",
        "backend peak RSS, 6 backups started at once",
        "6 backups at once vs one after another",
    ] {
        let row = report.row(prefix).unwrap_or_else(|| panic!("no row {prefix:?} in\n{}", report.table()));
        assert!(row.mirrorvault.median.is_finite() && row.mirrorvault.median > 0.0, "{prefix}: {:?}", row.mirrorvault);
    }
    if std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) >= 2 {
        let row = report.row("backup through an agent (loopback), a core each").unwrap_or_else(|| panic!("no pinned agent row in\n{}", report.table()));
        assert!(row.mirrorvault.median > 0.0 && row.other_value.as_ref().is_some_and(|o| o.median > 0.0), "{row:?}");
    }
    let text = std::fs::read_to_string(&json).expect("JSON written");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(v["rows"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(!work.path().join("mirrorvault-bench").exists(), "the work dir is cleaned up");
}
