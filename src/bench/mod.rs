//! `mirrorvault bench`: a reproducible benchmark of the backend against restic / rustic and
//! `cp -r`, plus the API, the console and the backend's memory. See README "Benchmarks".
pub mod agent;
pub mod burst;
pub mod catalog_scale;
pub mod console;
pub mod dataset;
pub mod error;
pub mod measure;
pub mod memory;
pub mod peers;
pub mod prune;
pub mod report;
pub mod startup;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use error::{bail, BenchResult, IoContext as _};

use crate::backend::{self, ServeOptions};
use crate::client::{Client, Credentials, VaultQuery};
use dataset::human_bytes;
use measure::{equalise, mean, percentile, CacheMode, Stat};
use peers::Peer;
pub use error::BenchError;
pub use report::{BenchReport, Row};

const REGION: &str = "cn-hangzhou";
const MIRROR_REGION: &str = "cn-shanghai";
const POLL: Duration = Duration::from_millis(5);
const MIB: f64 = 1024.0 * 1024.0;

#[derive(clap::Args, Clone, Debug)]
pub struct BenchArgs {
    /// Size of the generated dataset (e.g. 2GiB, 64MiB).
    #[arg(long, default_value = "2GiB", value_parser = dataset::parse_size)]
    pub size: u64,
    /// Timed runs per measurement (median and min are reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Where the dataset, repositories and vaults go (default: the temp dir). Everything is
    /// created under WORK_DIR/mirrorvault-bench and removed at the end unless --keep.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Do not run restic / rustic even when installed.
    #[arg(long)]
    pub skip_peers: bool,
    /// Size of the tree backed up for the backend's peak RSS, or "skip".
    #[arg(long, default_value = "10GiB")]
    pub memory_size: String,
    /// Run every phase on a copy of this directory (a real tree, e.g. a large source tree)
    /// instead of the generated dataset (`--size` is then ignored). Run the bench once with and
    /// once without it for both tables.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Small backups for the real-time replication lag.
    #[arg(long, default_value_t = 100)]
    pub lag_backups: usize,
    /// Vaults in the catalog for the DescribeVaults latency.
    #[arg(long, default_value_t = 10_000)]
    pub api_vaults: usize,
    /// Requests per run for the DescribeVaults latency (spread over 16 concurrent tasks).
    #[arg(long, default_value_t = 4000)]
    pub api_requests: usize,
    /// Finished jobs in the catalog for the catalog-scale latencies (0 skips them).
    #[arg(long, default_value_t = 1_000_000)]
    pub catalog_jobs: usize,
    /// Snapshots in the catalog for the catalog-scale latencies.
    #[arg(long, default_value_t = 100_000)]
    pub catalog_snapshots: usize,
    /// Vaults (each with its storage) in the data dir `serve` starts on for the startup time
    /// (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    pub startup_vaults: usize,
    /// Snapshots (and as many finished jobs) in that data dir's catalog.
    #[arg(long, default_value_t = 100_000)]
    pub startup_snapshots: usize,
    /// Vault cards on the console Overview for the frame time.
    #[arg(long, default_value_t = 1000)]
    pub console_vaults: usize,
    /// Seconds of console idle CPU measured on a static Overview (needs an X display; 0 skips).
    #[arg(long, default_value_t = 30)]
    pub console_idle_seconds: u64,
    /// Keep the work dir afterwards.
    #[arg(long)]
    pub keep: bool,
    /// Backups started at the same instant (each client its own vault, the same tree) for the
    /// backend's peak RSS under a burst of scheduled plans (0 skips it).
    #[arg(long, default_value_t = 60)]
    pub burst_backups: usize,
    /// Size of the tree each of the burst's backups reads.
    #[arg(long, default_value = "24MiB", value_parser = dataset::parse_size)]
    pub burst_size: u64,
    /// Run only these phases (comma-separated): files (backup, incremental, restore, mirror sync,
    /// lag), prune, agent, api, catalog, startup, console, memory, burst. Default: all.
    #[arg(long, value_delimiter = ',', value_parser = ["files", "prune", "agent", "api", "catalog", "startup", "console", "memory", "burst"])]
    pub only: Vec<String>,
    /// The `mirrorvault` binary run as `serve` for the memory measurement (default: this executable).
    #[arg(long, hide = true)]
    pub server_exe: Option<PathBuf>,
}

impl Default for BenchArgs {
    fn default() -> Self {
        BenchArgs {
            size: 2 << 30,
            runs: 3,
            json: None,
            work_dir: None,
            skip_peers: false,
            memory_size: "10GiB".into(),
            dataset: None,
            seed: 42,
            lag_backups: 100,
            api_vaults: 10_000,
            api_requests: 4000,
            catalog_jobs: 1_000_000,
            catalog_snapshots: 100_000,
            startup_vaults: 10_000,
            startup_snapshots: 100_000,
            console_vaults: 1000,
            console_idle_seconds: 30,
            keep: false,
            burst_backups: 60,
            burst_size: 24 << 20,
            only: Vec::new(),
            server_exe: None,
        }
    }
}

impl BenchArgs {
    /// True when `phase` runs (`--only` names it, or `--only` is not given).
    fn wants(&self, phase: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == phase)
    }
}

pub(crate) fn terminal(status: &str) -> bool {
    ["COMPLETE", "PARTIAL_COMPLETE", "FAILED", "CANCELED"].contains(&status)
}

pub(crate) async fn wait_vault_created(client: &Client, vault_id: &str) -> BenchResult<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = client.vault(vault_id).await? {
            match v.status.as_str() {
                "CREATED" => return Ok(()),
                "ERROR" => bail!("vault {vault_id} is in ERROR: {}", v.vault_status_message),
                _ => {}
            }
        }
        if Instant::now() > deadline {
            bail!("vault {vault_id} not created within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs a backup job to its end; returns (seconds from the request to COMPLETE seen, snapshot id).
async fn mv_backup(client: &Client, vault_id: &str, client_id: &str, paths: &[&Path]) -> BenchResult<(f64, String)> {
    mv_backup_at(client, vault_id, client_id, paths).await.map(|(t, s, _)| (t, s))
}

/// As `mv_backup`, plus the instant the last poll that still saw the job unfinished was sent
/// (the commit happened after it: a conservative start for the replication lag).
async fn mv_backup_at(client: &Client, vault_id: &str, client_id: &str, paths: &[&Path]) -> BenchResult<(f64, String, Instant)> {
    let include: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let t = Instant::now();
    let job = client.create_backup_job(vault_id, client_id, &include, &[]).await?;
    let mut pending_at = t;
    loop {
        let sent = Instant::now();
        let r = client.describe_backup_jobs(None, Some(&job.job_id)).await?;
        if let Some(j) = r.backup_jobs.backup_job.into_iter().next().filter(|j| terminal(&j.job.status)) {
            if j.job.status != "COMPLETE" {
                bail!("backup job {} ended {}: {}", job.job_id, j.job.status, j.job.error_message);
            }
            return Ok((t.elapsed().as_secs_f64(), j.snapshot_id, pending_at));
        }
        pending_at = sent;
        tokio::time::sleep(POLL).await;
    }
}

async fn mv_restore(client: &Client, vault_id: &str, snapshot_id: &str, target: &Path) -> BenchResult<f64> {
    let t = Instant::now();
    let r = client.create_restore_job(vault_id, snapshot_id, &target.display().to_string(), &[], false).await?;
    loop {
        let resp = client.describe_restore_jobs(None, Some(&r.restore_id)).await?;
        if let Some(j) = resp.restore_jobs.restore_job.into_iter().next().filter(|j| terminal(&j.job.status)) {
            if j.job.status != "COMPLETE" {
                bail!("restore {} ended {}: {} {:?}", r.restore_id, j.job.status, j.job.error_message, j.failed_files);
            }
            return Ok(t.elapsed().as_secs_f64());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Where a restore of `source` (absolute) landed under `target`.
fn restored_root(target: &Path, source: &Path) -> PathBuf {
    let rel = source.strip_prefix("/").unwrap_or(source);
    let p = target.join(rel);
    if p.exists() {
        p
    } else {
        target.to_path_buf()
    }
}

pub(crate) fn rm(p: &Path) {
    if p.exists() {
        let _ = std::fs::remove_dir_all(p);
    }
}

fn cp_r(from: &Path, to: &Path) -> BenchResult<f64> {
    let t = Instant::now();
    let st = std::process::Command::new("cp").arg("-r").arg(from).arg(to).status().context("cannot run cp")?;
    if !st.success() {
        bail!("cp -r failed: {st}");
    }
    Ok(t.elapsed().as_secs_f64())
}

struct Side {
    name: String,
    times: Vec<f64>,
}

/// Adds "mirrorvault vs each peer" rows for a time measurement (lower is better), plus the
/// target against the fastest peer (`factor`: mirrorvault must be at least this much faster).
fn time_rows(report: &mut BenchReport, metric: &str, ours: &[f64], peers: &[Side], factor: Option<f64>, note: &str) {
    let ours_stat = Stat::of(ours);
    if peers.is_empty() {
        report.rows.push(Row::new(metric, "s", false, ours_stat).note(note));
        return;
    }
    let fastest = peers.iter().map(|p| Stat::of(&p.times).median).fold(f64::INFINITY, f64::min);
    for p in peers {
        let mut row = Row::new(format!("{metric} vs {}", p.name), "s", false, ours_stat.clone()).vs(&p.name, Stat::of(&p.times)).note(note);
        if let Some(f) = factor {
            let speedup = fastest / ours_stat.median;
            row = row.target(format!("≥{f}× fastest peer (is {speedup:.2}×)"), speedup >= f);
        }
        report.rows.push(row);
    }
}

/// Runs the benchmark; prints the table; writes the JSON when asked.
pub fn run(args: BenchArgs) -> BenchResult<BenchReport> {
    let started = Instant::now();
    let runs = args.runs.max(1);
    let memory_size = match args.memory_size.trim() {
        "skip" | "none" | "0" | "" => None,
        s => Some(dataset::parse_size(s).map_err(BenchError::Failed)?),
    };
    let base = args.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    let work = base.join("mirrorvault-bench");
    rm(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let work = work.canonicalize()?;

    let mut report = BenchReport {
        date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        machine: measure::machine(),
        version: env!("CARGO_PKG_VERSION").into(),
        runs,
        // every restore check below ANDs its result in; none ran is reported as such
        restore_verified: true,
        ..Default::default()
    };
    let cache_mode = if measure::drop_caches() { CacheMode::Dropped } else { CacheMode::Warm };
    report.cache_mode = match cache_mode {
        CacheMode::Dropped => "dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before each timed run of either side".into(),
        CacheMode::Warm => "caches warm for both sides (dropping them is not permitted here; the inputs are read once before each timed run of either side)".into(),
    };
    println!("caches: {}", report.cache_mode);

    // 1. The dataset (not timed).
    let data = work.join("data");
    match &args.dataset {
        Some(real) => {
            println!("copying the tree {} to {} …", real.display(), data.display());
            let (stats, copy_s) = measure::time(|| dataset::copy_tree(real, &data));
            report.dataset = stats?;
            report.note(format!("dataset: a copy of the real tree {} ({} files, {} directories)", real.display(), report.dataset.files, report.dataset.dirs));
            println!("copied {} in {} files ({copy_s:.1} s)", human_bytes(report.dataset.bytes), report.dataset.files);
        }
        None => {
            println!("generating {} of data in {} (seed {}) …", human_bytes(args.size), data.display(), args.seed);
            let (stats, gen_s) = measure::time(|| dataset::generate(&data, args.size, args.seed));
            report.dataset = stats?;
            println!("generated {} in {} files ({gen_s:.1} s)", human_bytes(report.dataset.bytes), report.dataset.files);
        }
    }
    report.dataset_bytes = report.dataset.bytes;

    // Peers.
    let mut peers: Vec<Peer> = Vec::new();
    if args.skip_peers {
        report.note("peers skipped (--skip-peers)");
    } else {
        for kind in [peers::Kind::Restic, peers::Kind::Rustic] {
            match Peer::detect(kind, &work) {
                Some(p) => {
                    report.peers.push(format!("{} ({})", p.name(), p.version));
                    peers.push(p);
                }
                None => report.note(format!(
                    "{} is not installed: its lines are left out ({})",
                    if kind == peers::Kind::Restic { "restic" } else { "rustic" },
                    if kind == peers::Kind::Restic { "apt-get install restic" } else { "cargo install rustic-rs --locked" }
                )),
            }
        }
    }

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let creds = Credentials { access_key_id: "LTAIbenchkey000001".into(), access_key_secret: "bench-secret-000001".into() };
    let mv_data = work.join("mv-data");
    let server = rt.block_on(backend::start(
        ServeOptions { data_dir: mv_data.clone(), listen: "127.0.0.1:0".parse().expect("loopback address"), historical_sync_delay: Duration::from_secs(86_400), demo: false, credentials: Some(creds.clone()) },
        None,
    ))?;
    let client = Client::new(&server.endpoint(), creds.clone())?;
    let vault_dir = |region: &str, id: &str| mv_data.join("regions").join(region).join("vaults").join(id);
    let result = if !args.wants("files") { Ok(()) } else { (|| -> BenchResult<()> {
        let gib = report.dataset_bytes as f64 / MIB;
        // 2a. First backup.
        println!("first backup: {runs} run(s) per side …");
        let mut ours = Vec::new();
        let mut theirs: Vec<Side> = peers.iter().map(|p| Side { name: p.name().into(), times: vec![] }).collect();
        let mut vault = (String::new(), String::new());
        let mut repos: Vec<PathBuf> = peers.iter().map(|_| PathBuf::new()).collect();
        let mut sizes = (0u64, vec![0u64; peers.len()]);
        for run in 0..runs {
            let (cid, vid) = rt.block_on(async {
                let c = client.create_backup_client(&format!("bench-{run}"), REGION, None).await?;
                wait_vault_created(&client, &c.vault_id).await?;
                Ok::<_, BenchError>((c.client_id, c.vault_id))
            })?;
            equalise(cache_mode, &[&data]);
            let (t, _) = rt.block_on(mv_backup(&client, &vid, &cid, &[&data]))?;
            println!("  mirrorvault run {}: {t:.2} s ({:.0} MiB/s)", run + 1, gib / t);
            ours.push(t);
            sizes.0 = dataset::dir_bytes(&vault_dir(REGION, &vid));
            let old = std::mem::replace(&mut vault, (cid, vid));
            if !old.0.is_empty() {
                rt.block_on(async {
                    let _ = client.delete_backup_client(&old.0).await;
                    let _ = client.delete_vault(&old.1).await;
                });
            }
            for (i, p) in peers.iter().enumerate() {
                let repo = work.join(format!("{}-repo-{run}", p.name()));
                p.init(&repo)?;
                equalise(cache_mode, &[&data]);
                let t = p.backup(&repo, &data)?;
                println!("  {} run {}: {t:.2} s ({:.0} MiB/s)", p.name(), run + 1, gib / t);
                theirs[i].times.push(t);
                sizes.1[i] = dataset::dir_bytes(&repo);
                rm(&std::mem::replace(&mut repos[i], repo));
            }
        }
        let note = format!("{} dataset, mirrorvault {:.0} MiB/s", human_bytes(report.dataset_bytes), gib / Stat::of(&ours).median);
        time_rows(&mut report, "first backup", &ours, &theirs, Some(1.3), &note);
        let mut row = Row::new("first backup: repository size", "MiB", false, Stat::of(&[sizes.0 as f64 / MIB]));
        if let Some((i, p)) = peers.iter().enumerate().min_by_key(|(i, _)| sizes.1[*i]) {
            row = row.vs(p.name(), Stat::of(&[sizes.1[i] as f64 / MIB]));
        }
        report.rows.push(row);
        let (client_id, vault_id) = vault.clone();
        let src_dir = vault_dir(REGION, &vault_id);

        // 2b. Incremental backups after changing 1 % of the files.
        println!("incremental: {runs} round(s) of 1 % changes …");
        let mut ours = Vec::new();
        let mut ours_ratio = Vec::new();
        let mut theirs: Vec<Side> = peers.iter().map(|p| Side { name: p.name().into(), times: vec![] }).collect();
        let mut their_ratio: Vec<Vec<f64>> = peers.iter().map(|_| vec![]).collect();
        let mut latest = String::new();
        let mut changed_total = 0u64;
        for run in 0..runs {
            let ch = dataset::change(&data, 0.01, args.seed.wrapping_add(1000 + run as u64))?;
            changed_total += ch.bytes_changed;
            let before = dataset::dir_bytes(&src_dir);
            equalise(cache_mode, &[&data]);
            let (t, snap) = rt.block_on(mv_backup(&client, &vault_id, &client_id, &[&data]))?;
            let added = dataset::dir_bytes(&src_dir).saturating_sub(before);
            let reported = rt.block_on(client.describe_snapshots(&vault_id))?.snapshots.snapshot.into_iter().find(|s| s.snapshot_id == snap).map(|s| s.bytes_added).unwrap_or(0);
            println!(
                "  round {}: {} files touched, {} changed; mirrorvault {t:.2} s, vault grew {} (BytesAdded {})",
                run + 1,
                ch.files_touched,
                human_bytes(ch.bytes_changed),
                human_bytes(added),
                human_bytes(reported.max(0) as u64)
            );
            ours.push(t);
            ours_ratio.push(added as f64 / ch.bytes_changed.max(1) as f64);
            latest = snap;
            for (i, p) in peers.iter().enumerate() {
                let before = dataset::dir_bytes(&repos[i]);
                equalise(cache_mode, &[&data]);
                let t = p.backup(&repos[i], &data)?;
                let added = dataset::dir_bytes(&repos[i]).saturating_sub(before);
                println!("  round {}: {} {t:.2} s, repository grew {}", run + 1, p.name(), human_bytes(added));
                theirs[i].times.push(t);
                their_ratio[i].push(added as f64 / ch.bytes_changed.max(1) as f64);
            }
        }
        let note = format!("1 % of files per round, {} changed per round on average", human_bytes(changed_total / runs as u64));
        time_rows(&mut report, "incremental backup", &ours, &theirs, None, &note);
        let ratio_stat = Stat::of(&ours_ratio);
        let met = ratio_stat.median <= 1.2;
        if peers.is_empty() {
            report.rows.push(Row::new("incremental: stored / changed bytes", "×", false, ratio_stat).target("≤1.2× changed bytes", met));
        } else {
            for (i, p) in peers.iter().enumerate() {
                report.rows.push(Row::new(format!("incremental: stored / changed bytes vs {}", p.name()), "×", false, ratio_stat.clone()).vs(p.name(), Stat::of(&their_ratio[i])).target("≤1.2× changed bytes", met));
            }
        }
        let source_hash = dataset::tree_hash(&data)?;
        report.dataset_bytes = dataset::dir_bytes(&data);
        let gib = report.dataset_bytes as f64 / MIB;

        // 2e. Restore of the latest snapshot.
        println!("restore: {runs} run(s) per side …");
        let mut ours = Vec::new();
        let mut theirs: Vec<Side> = peers.iter().map(|p| Side { name: p.name().into(), times: vec![] }).collect();
        let mut verified = true;
        for run in 0..runs {
            let target = work.join("restore-mv");
            rm(&target);
            equalise(cache_mode, &[&src_dir]);
            let t = rt.block_on(mv_restore(&client, &vault_id, &latest, &target))?;
            let h = dataset::tree_hash(&restored_root(&target, &data))?;
            let ok = h == source_hash;
            verified &= ok;
            report.restore_checks.push(format!("mirrorvault restore run {} from the source vault: {}", run + 1, if ok { "identical" } else { "DIFFERENT" }));
            println!("  mirrorvault run {}: {t:.2} s ({:.0} MiB/s), restored tree {}", run + 1, gib / t, if ok { "identical" } else { "DIFFERS" });
            ours.push(t);
            rm(&target);
            for (i, p) in peers.iter().enumerate() {
                let target = work.join(format!("restore-{}", p.name()));
                rm(&target);
                equalise(cache_mode, &[&repos[i]]);
                let t = p.restore(&repos[i], &target)?;
                let h = dataset::tree_hash(&restored_root(&target, &data))?;
                println!("  {} run {}: {t:.2} s, restored tree {}", p.name(), run + 1, if h == source_hash { "identical" } else { "differs" });
                if h != source_hash {
                    report.notes.push(format!("{}'s restore differs from the source tree (run {})", p.name(), run + 1));
                }
                theirs[i].times.push(t);
                rm(&target);
            }
        }
        report.restore_verified &= verified;
        let note = format!("{}, mirrorvault {:.0} MiB/s", human_bytes(report.dataset_bytes), gib / Stat::of(&ours).median);
        time_rows(&mut report, "restore latest snapshot", &ours, &theirs, Some(1.2), &note);

        // 2c. Mirror sync of the whole vault.
        println!("mirror sync: {runs} run(s) per side …");
        let vault_bytes = dataset::dir_bytes(&src_dir);
        let src_snapshots = rt.block_on(client.vault(&vault_id))?.map(|v| v.snapshot_count).unwrap_or(0);
        let mut ours = Vec::new();
        let mut cp_times = Vec::new();
        let mut theirs: Vec<Side> = peers.iter().map(|p| Side { name: format!("{} copy", p.name()), times: vec![] }).collect();
        let mut mirror_id = String::new();
        for run in 0..runs {
            let mid = rt.block_on(async {
                let r = client.create_replication_vault(&vault_id, REGION, MIRROR_REGION, &format!("bench-mirror-{run}"), "").await?;
                wait_vault_created(&client, &r.vault_id).await?;
                Ok::<_, BenchError>(r.vault_id)
            })?;
            equalise(cache_mode, &[&src_dir]);
            let t = rt.block_on(async {
                let t = Instant::now();
                client.sync_replication_vault_now(&mid).await?;
                let deadline = Instant::now() + Duration::from_secs(3600);
                loop {
                    if let Some(m) = client.vault(&mid).await? {
                        if m.replication_status == crate::api::vault::REPL_IN_SYNC && m.snapshot_count >= src_snapshots {
                            return Ok::<_, BenchError>(t.elapsed().as_secs_f64());
                        }
                        if m.replication_status == crate::api::vault::REPL_ERROR {
                            bail!("mirror sync failed: {}", m.replication_status_message);
                        }
                    }
                    if Instant::now() > deadline {
                        bail!("mirror sync did not finish within an hour");
                    }
                    tokio::time::sleep(POLL).await;
                }
            })?;
            println!("  mirrorvault run {}: {t:.2} s ({:.0} MiB/s of vault data)", run + 1, vault_bytes as f64 / MIB / t);
            ours.push(t);
            if run + 1 < runs {
                rt.block_on(async {
                    if let Err(e) = client.delete_vault(&mid).await {
                        let _ = client
                            .call::<serde_json::Value>(
                                "DeleteVaultReplication",
                                &[("ReplicationSourceVaultId", vault_id.clone()), ("ReplicationSourceRegionId", REGION.into()), ("ReplicationTargetVaultId", mid.clone())],
                            )
                            .await;
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        client.delete_vault(&mid).await.map_err(|e2| BenchError::Failed(format!("cannot delete the mirror: {e}; {e2}")))?;
                    }
                    Ok::<_, BenchError>(())
                })?;
            }
            mirror_id = mid;
            let cp_target = work.join("cp-target");
            rm(&cp_target);
            equalise(cache_mode, &[&src_dir]);
            let t = cp_r(&src_dir, &cp_target)?;
            println!("  cp -r run {}: {t:.2} s", run + 1);
            cp_times.push(t);
            rm(&cp_target);
            for (i, p) in peers.iter().enumerate() {
                let dst = work.join(format!("{}-copy-{run}", p.name()));
                p.init_copy_target(&dst, &repos[i])?;
                equalise(cache_mode, &[&repos[i]]);
                let t = p.copy(&repos[i], &dst)?;
                println!("  {} copy run {}: {t:.2} s", p.name(), run + 1);
                theirs[i].times.push(t);
                rm(&dst);
                rm(&dst.with_extension("profile"));
            }
        }
        let note = format!("{} vault, {} snapshots", human_bytes(vault_bytes), src_snapshots);
        time_rows(&mut report, "mirror sync (full vault)", &ours, &theirs, Some(2.0), &note);
        let cp_stat = Stat::of(&cp_times);
        let ours_stat = Stat::of(&ours);
        let cp_ratio = cp_stat.median / ours_stat.median;
        report.rows.push(Row::new("mirror sync vs cp -r", "s", false, ours_stat).vs("cp -r", cp_stat).target(format!("≥0.8× cp -r (is {cp_ratio:.2}×)"), cp_ratio >= 0.8));

        // Restore from the mirror (correctness of the copy; timed once per run).
        let mut from_mirror = Vec::new();
        for run in 0..runs {
            let target = work.join("restore-mirror");
            rm(&target);
            equalise(cache_mode, &[&vault_dir(MIRROR_REGION, &mirror_id)]);
            let t = rt.block_on(mv_restore(&client, &mirror_id, &latest, &target))?;
            let ok = dataset::tree_hash(&restored_root(&target, &data))? == source_hash;
            report.restore_verified &= ok;
            report.restore_checks.push(format!("mirrorvault restore run {} from the mirror vault: {}", run + 1, if ok { "identical" } else { "DIFFERENT" }));
            println!("  restore from the mirror run {}: {t:.2} s, restored tree {}", run + 1, if ok { "identical" } else { "DIFFERS" });
            from_mirror.push(t);
            rm(&target);
        }
        report.rows.push(Row::new("restore latest snapshot from the mirror", "s", false, Stat::of(&from_mirror)).note("mirror region cn-shanghai"));

        // 2d. Real-time lag: small backups while the mirror exists.
        println!("real-time lag: {} small backups …", args.lag_backups);
        let lag_dir = work.join("lag");
        std::fs::create_dir_all(&lag_dir)?;
        let mut lags = Vec::new();
        for i in 0..args.lag_backups {
            std::fs::write(lag_dir.join("counter.txt"), format!("backup {i}\n").repeat(1 + i % 50))?;
            let lag = rt.block_on(async {
                let (_, snap, committed) = mv_backup_at(&client, &vault_id, &client_id, &[&lag_dir]).await?;
                let deadline = committed + Duration::from_secs(120);
                loop {
                    let r = client.describe_snapshots(&mirror_id).await?;
                    if r.snapshots.snapshot.iter().any(|s| s.snapshot_id == snap) {
                        return Ok::<_, BenchError>(committed.elapsed().as_secs_f64());
                    }
                    if Instant::now() > deadline {
                        bail!("snapshot {snap} not in the mirror after 120 s");
                    }
                    tokio::time::sleep(POLL).await;
                }
            })?;
            lags.push(lag);
        }
        let (p50, p99) = (percentile(&lags, 50.0), percentile(&lags, 99.0));
        println!("  lag p50 {:.0} ms, p99 {:.0} ms", p50 * 1000.0, p99 * 1000.0);
        let stat = |v: f64| Stat { median: v * 1000.0, min: lags.iter().cloned().fold(f64::INFINITY, f64::min) * 1000.0, max: lags.iter().cloned().fold(0.0, f64::max) * 1000.0, runs: 1, samples: vec![] };
        let note = format!("{} backups; upper bound: last poll before the commit → snapshot listed by the mirror, polls every {} ms", lags.len(), POLL.as_millis());
        report.rows.push(Row::new("real-time lag p50", "ms", false, stat(p50)).note(&note));
        report.rows.push(Row::new("real-time lag p99", "ms", false, stat(p99)).vs("target", Stat::of(&[1000.0])).target("<1 s", p99 < 1.0).note(&note));
        Ok(())
    })() };
    rt.block_on(server.shutdown());
    if let Err(e) = result {
        if !args.keep {
            rm(&work);
        }
        return Err(e);
    }

    // The `mirrorvault` run as a child (`serve`, `agent`) by the phases below.
    let exe = match &args.server_exe {
        Some(p) => p.clone(),
        None => std::env::current_exe()?,
    };
    // 2e'. Prune after removing older snapshots, vs the peers' forget + prune (src/bench/prune.rs),
    // and 2e''. backup through a remote agent vs in the backend (src/bench/agent.rs).
    let mut standalone = || -> BenchResult<()> {
        if args.wants("prune") {
            println!("prune: {} snapshots, all but the newest removed …", prune::ROUNDS + 1);
            prune::run(&rt, &exe, &work, &data, args.seed, &peers, cache_mode, &mut report)?;
        }
        if args.wants("agent") {
            println!("agent: backup through `mirrorvault agent` vs in the backend, {runs} run(s) …");
            agent::run(&rt, &exe, &work, &data, runs, cache_mode, &mut report)?;
        }
        Ok(())
    };
    if let Err(e) = standalone() {
        if !args.keep {
            rm(&work);
        }
        return Err(e);
    }

    // 2f. API latency with many vaults (a separate backend with its own catalog).
    if args.api_vaults > 0 && args.wants("api") {
        println!("API: {} vaults, DescribeVaults at concurrency 16 …", args.api_vaults);
        let r = api_latency(&rt, &work.join("api-data"), &creds, args.api_vaults, args.api_requests, runs)?;
        report.notes.push(r.2.clone());
        println!("  {}", r.2);
        report.rows.push(Row::new("API DescribeVaults p50", "ms", false, Stat::of(&r.0)).note(format!("{} vaults, 16 concurrent, PageSize 10", args.api_vaults)));
        let p99 = Stat::of(&r.1);
        let met = p99.median < 20.0;
        report.rows.push(Row::new("API DescribeVaults p99", "ms", false, p99).vs("target", Stat::of(&[20.0])).target("<20 ms", met).note(format!("{} vaults, 16 concurrent, PageSize 10", args.api_vaults)));
    }

    // 2f'. The catalog after a year of plans: many finished jobs and snapshots.
    if args.catalog_jobs > 0 && args.wants("catalog") {
        println!("catalog: {} jobs, {} snapshots, list actions at concurrency 16 …", args.catalog_jobs, args.catalog_snapshots);
        let c = catalog_scale::measure(&rt, &work.join("catalog-data"), &creds, args.catalog_jobs, args.catalog_snapshots, args.api_requests)?;
        let setup = format!(
            "{} jobs and {} snapshots over {} vaults inserted in bulk ({:.1} s); catalog file {}; 16 concurrent, PageSize 10",
            c.jobs, c.snapshots, c.vaults, c.insert_seconds, human_bytes(c.catalog_bytes)
        );
        println!("  {setup}");
        for l in &c.latencies {
            println!("  {} p50 {:.2} ms, p99 {:.2} ms (its catalog calls alone {:.3} ms)", l.action, l.p50, l.p99, l.catalog_ms);
            let what = match l.action {
                "DescribeBackupJobs2" => "Filters VaultId + Status",
                "DescribeSnapshots" => "one vault",
                _ => "first page",
            };
            report.rows.push(
                Row::new(format!("catalog at scale: {} p99", l.action), "ms", false, Stat::of(&[l.p99]))
                    .vs("target", Stat::of(&[20.0]))
                    .target("<20 ms", l.p99 < 20.0)
                    .note(format!("{what}; p50 {:.2} ms; its catalog calls alone {:.3} ms; {setup}", l.p50, l.catalog_ms)),
            );
        }
        report.rows.push(Row::new("catalog at scale: file size", "MiB", false, Stat::of(&[c.catalog_bytes as f64 / MIB])).note(&setup));
    }

    // 2f''. Startup at scale: `serve` on a data dir with many vaults (src/bench/startup.rs).
    if args.startup_vaults > 0 && args.wants("startup") {
        println!("startup: {} vaults, {} snapshots, `serve` until DescribeVaults answers …", args.startup_vaults, args.startup_snapshots);
        let s = startup::measure(&rt, &exe, &work.join("startup-data"), args.startup_vaults, args.startup_snapshots)?;
        let note = format!(
            "spawn of `mirrorvault serve` → first signed DescribeVaults counting every vault; {} vaults with their storage over 4 regions, {} snapshots and as many finished jobs (data dir made in {:.1} s); listening after {:.2} s; the next {} DescribeVaults p50 {:.2} ms, max {:.2} ms",
            s.vaults, s.snapshots, s.prepare_seconds, s.listening_seconds, startup::AFTER, s.after_p50_ms, s.after_max_ms
        );
        println!(
            "  first answer after {:.2} s (listening after {:.2} s); the next {} p50 {:.2} ms, max {:.2} ms",
            s.first_answer_seconds, s.listening_seconds, startup::AFTER, s.after_p50_ms, s.after_max_ms
        );
        report.rows.push(
            Row::new("startup at scale: first DescribeVaults answer", "s", false, Stat::of(&[s.first_answer_seconds]))
                .vs("target", Stat::of(&[2.0]))
                .target("<2 s", s.first_answer_seconds < 2.0)
                .note(note),
        );
    }

    // 2g. Console frame time.
    if args.console_vaults > 0 && args.wants("console") {
        println!("console: Overview with {} vault cards …", args.console_vaults);
        let (mut means, mut p99s) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let f = console::frame_times(args.console_vaults, 300, 30);
            means.push(mean(&f));
            p99s.push(percentile(&f, 99.0));
        }
        let note = format!("{} cards, 1360×860, layout + tessellation, 300 frames/run", args.console_vaults);
        println!("  mean {:.2} ms, p99 {:.2} ms", Stat::of(&means).median, Stat::of(&p99s).median);
        let m = Stat::of(&means);
        let met = m.median < 4.0;
        report.rows.push(Row::new("console Overview frame time, mean", "ms", false, m).vs("target", Stat::of(&[4.0])).target("<4 ms", met).note(&note));
        let p = Stat::of(&p99s);
        let met = p.median < 4.0;
        report.rows.push(Row::new("console Overview frame time, p99", "ms", false, p).vs("target", Stat::of(&[4.0])).target("<4 ms", met).note(&note));
    }

    // 2g'. Console idle CPU on a static Overview (a real window: needs an X display).
    if args.console_idle_seconds > 0 && args.wants("console") {
        println!("console: idle CPU on a static Overview for {} s …", args.console_idle_seconds);
        match console::idle_cpu(&exe, &work, Duration::from_secs(75), Duration::from_secs(args.console_idle_seconds)) {
            Ok(idle) => {
                println!("  {:.2} % of a core", idle.percent_of_core);
                let met = idle.percent_of_core < 2.0;
                let note = format!("CPU time of the console process (utime+stime, /proc/PID/stat) over {} s after 75 s of start-up (the demo's fresh \"12s ago\" labels tick every second in its first minute), demo backend in its own process, 1360×860 window", idle.window.as_secs());
                report.rows.push(Row::new("console idle CPU, static Overview", "% of a core", false, Stat::of(&[idle.percent_of_core])).vs("target", Stat::of(&[2.0])).target("<2 %", met).note(note));
            }
            Err(e) => {
                println!("  skipped: {e}");
                report.notes.push(format!("console idle CPU not measured: {e}"));
            }
        }
    }

    // 2h. Backend peak RSS while backing up a large tree.
    if let Some(mut size) = memory_size.filter(|_| args.wants("memory")) {
        let free = measure::free_disk(&work).unwrap_or(0);
        // the tree beside its (compressed, deduplicated) vault, then — the tree removed once it is
        // backed up — the vault beside its mirror (measured at 40 GiB: the tree and its vault took
        // 66 GiB of disk together, the vault and its mirror as much)
        let need = |s: u64| s + s / 8 * 5 + (1 << 30);
        if need(size) > free {
            let fit = free.saturating_sub(1 << 30) / 13 * 8;
            report.note(format!("only {} free: the memory tree is {} instead of {}", human_bytes(free), human_bytes(fit), human_bytes(size)));
            size = fit;
        }
        if size >= (16 << 20) {
            let tree = work.join("mem-tree");
            println!("memory: generating {} and backing it up through `{} serve` …", human_bytes(size), exe.display());
            let st = dataset::generate(&tree, size, args.seed.wrapping_add(7))?;
            let m = memory::measure(&rt, &exe, &work, &tree, st.bytes)?;
            rm(&tree);
            rm(&work.join("mem-backend"));
            let mib = m.peak_rss as f64 / MIB;
            println!("  peak RSS {mib:.0} MiB (idle {:.0} MiB), backup {:.1} s", m.idle_rss as f64 / MIB, m.backup_seconds);
            report.rows.push(
                Row::new("backend peak RSS during backup", "MiB", false, Stat::of(&[mib]))
                    .vs("target", Stat::of(&[300.0]))
                    .target("<300 MiB", mib < 300.0)
                    .note(format!("{} tree, VmHWM of `mirrorvault serve`, idle {:.0} MiB, {:.0} MiB/s", human_bytes(m.bytes), m.idle_rss as f64 / MIB, m.bytes as f64 / MIB / m.backup_seconds)),
            );
            for (what, peak) in [("incremental backup (nothing changed)", &m.incremental), ("mirror sync", &m.mirror), ("prune", &m.prune)] {
                match peak {
                    Some(p) => {
                        let mib = p.rss as f64 / MIB;
                        let before = p.before as f64 / MIB;
                        println!("  {what} of that vault: peak RSS {mib:.0} MiB (RSS at its start {before:.0} MiB), {:.1} s", p.seconds);
                        report.rows.push(Row::new(format!("backend peak RSS during {what}"), "MiB", false, Stat::of(&[mib])).note(format!(
                            "of the vault of that {} backup, same process, peak reset before; RSS at its start {before:.0} MiB; {:.1} s",
                            human_bytes(m.bytes),
                            p.seconds
                        )));
                    }
                    None => report.note(format!("{what} peak RSS not measured: the peak cannot be reset here")),
                }
            }
        } else {
            report.note("memory measurement skipped: not enough free disk");
        }
    }

    // 2i. Many backups at once (every client's plan at 02:00) through a child backend.
    if args.burst_backups > 0 && args.wants("burst") {
        let tree = work.join("burst-tree");
        println!("burst: {} backups of {} started at once …", args.burst_backups, human_bytes(args.burst_size));
        dataset::generate(&tree, args.burst_size, args.seed.wrapping_add(11))?;
        let b = burst::measure(&rt, &exe, &work, &tree, args.burst_backups)?;
        rm(&tree);
        let mib = b.peak_rss as f64 / MIB;
        let total = b.tree_bytes as f64 * b.backups as f64 / MIB;
        println!(
            "  peak RSS {mib:.0} MiB (idle {:.0} MiB), {} threads at most, all at once {:.2} s ({:.0} MiB/s), one after another {:.2} s ({:.0} MiB/s), {} waited for a worker",
            b.idle_rss as f64 / MIB, b.peak_threads, b.burst_seconds, total / b.burst_seconds, b.sequential_seconds, total / b.sequential_seconds, b.waited
        );
        let setup = format!("{} backups of a {} tree, each client its own vault, child `mirrorvault serve`", b.backups, human_bytes(b.tree_bytes));
        report.rows.push(
            Row::new(format!("backend peak RSS, {} backups started at once", b.backups), "MiB", false, Stat::of(&[mib]))
                .vs("target", Stat::of(&[500.0]))
                .target("<500 MiB", mib < 500.0)
                .note(format!("{setup}; VmHWM, idle {:.0} MiB, at most {} threads; {} of them waited for a worker", b.idle_rss as f64 / MIB, b.peak_threads, b.waited)),
        );
        let ratio = b.sequential_seconds / b.burst_seconds.max(1e-9);
        report.rows.push(
            Row::new(format!("{} backups at once vs one after another (total throughput)", b.backups), "s", false, Stat::of(&[b.burst_seconds]))
                .vs("one after another", Stat::of(&[b.sequential_seconds]))
                .target("≥0.9× (the same total throughput)", ratio >= 0.9)
                .note(format!("{setup}; {total:.0} MiB in all")),
        );
    }

    if !args.keep {
        rm(&work);
    }
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    report.print();
    if let Some(path) = &args.json {
        report.write_json(path)?;
        println!("JSON written to {}", path.display());
    }
    Ok(report)
}

/// DescribeVaults latency: `vaults` rows inserted straight into the catalog (one transaction),
/// then `runs` rounds of `requests` signed requests from 16 concurrent tasks. Returns the p50s
/// and p99s (ms) per run and a line about the setup.
fn api_latency(rt: &tokio::runtime::Runtime, dir: &Path, creds: &Credentials, vaults: usize, requests: usize, runs: usize) -> BenchResult<(Vec<f64>, Vec<f64>, String)> {
    rm(dir);
    let server = rt.block_on(backend::start(
        ServeOptions { data_dir: dir.to_path_buf(), listen: "127.0.0.1:0".parse().expect("loopback address"), historical_sync_delay: Duration::from_secs(86_400), demo: false, credentials: Some(creds.clone()) },
        None,
    ))?;
    let t = Instant::now();
    {
        use crate::backend::catalog::NewVault;
        let cat = &server.state.catalog;
        cat.conn().execute_batch("BEGIN").map_err(|e| BenchError::Catalog(e.to_string()))?;
        for i in 0..vaults {
            let id = format!("v-bench-{i:06}");
            let name = format!("vault-{i:06}");
            cat.insert_vault(&NewVault {
                vault_id: &id,
                vault_name: &name,
                description: "benchmark",
                region_id: ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"][i % 4],
                encrypt_type: "HBR_PRIVATE",
                kms_key_id: "",
                is_mirror: false,
                source_vault_id: None,
                historical_start_time: 0,
                status: "CREATED",
            })
            .map_err(|e| BenchError::Catalog(e.to_string()))?;
        }
        cat.conn().execute_batch("COMMIT").map_err(|e| BenchError::Catalog(e.to_string()))?;
        // Each vault's location holds its `config` (the backend's location watcher checks it every
        // few seconds and marks a vault without one ERROR); a placeholder is enough for DescribeVaults.
        for i in 0..vaults {
            let region = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"][i % 4];
            let d = dir.join("regions").join(region).join("vaults").join(format!("v-bench-{i:06}"));
            std::fs::create_dir_all(&d)?;
            std::fs::write(d.join("config"), b"{}")?;
        }
    }
    let insert_s = t.elapsed().as_secs_f64();
    measure::quiesce();
    let client = Client::new(&server.endpoint(), creds.clone())?;
    let pages = (vaults / 10).max(1) as u64;
    let result = rt.block_on(async {
        // warm-up
        for _ in 0..50 {
            client.describe_vaults(&VaultQuery { page_number: 1, page_size: 10, ..Default::default() }).await?;
        }
        let (mut p50s, mut p99s, mut rates) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..runs {
            let t = Instant::now();
            let mut tasks = Vec::new();
            for task in 0..16u64 {
                let client = client.clone();
                let n = requests / 16;
                tasks.push(tokio::spawn(async move {
                    use rand::{Rng, SeedableRng};
                    let mut rng = rand::rngs::StdRng::seed_from_u64(task * 1000 + run as u64);
                    let mut lat = Vec::with_capacity(n);
                    for _ in 0..n {
                        let page = rng.gen_range(1..=pages) as i64;
                        let t = Instant::now();
                        let r = client.describe_vaults(&VaultQuery { page_number: page, page_size: 10, ..Default::default() }).await?;
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                        if r.vaults.vault.is_empty() {
                            bail!("page {page} came back empty");
                        }
                    }
                    Ok::<_, BenchError>(lat)
                }));
            }
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await??);
            }
            rates.push(all.len() as f64 / t.elapsed().as_secs_f64());
            p50s.push(percentile(&all, 50.0));
            p99s.push(percentile(&all, 99.0));
        }
        Ok::<_, BenchError>((p50s, p99s, rates))
    });
    rt.block_on(server.shutdown());
    rm(dir);
    let (p50s, p99s, rates) = result?;
    let line = format!(
        "API: {vaults} vaults inserted directly through the catalog's insert_vault in one transaction, each with a placeholder vaults/ID/config in its location ({insert_s:.2} s); client and server share this machine's cores; {:.0} requests/s",
        Stat::of(&rates).median
    );
    Ok((p50s, p99s, line))
}
