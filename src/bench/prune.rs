//! The prune phase of `mirrorvault bench`: the same snapshots on every side (the dataset backed
//! up, then ~30 % of its files replaced and backed up again, a few rounds), the older snapshots
//! removed (`DeleteSnapshot` / `forget <ids>`), then prune timed: ours through `CreatePruneJob`
//! on a `mirrorvault serve` child (its `VmHWM` is the prune's peak RSS: the child is restarted
//! after the backups), the peers' `prune` with `wait4`'s `ru_maxrss`. The kept snapshot is
//! restored afterwards and compared with the source tree.
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use rand::{RngCore, SeedableRng};

use super::dataset::{self, human_bytes};
use super::error::{bail, BenchError, BenchResult};
use super::measure::{equalise, proc_rss, CacheMode, Stat};
use super::memory::spawn_server;
use super::peers::Peer;
use super::{mv_backup, mv_restore, restored_root, rm, time_rows, BenchReport, Row, Side, MIB, POLL, REGION};
use crate::client::{Client, Credentials};

/// Backups after the first one, each after replacing `FRACTION` of the files.
pub const ROUNDS: usize = 3;
pub const FRACTION: f64 = 0.3;

/// Replaces `fraction` of the files under `root` with fresh random content of the same length
/// (deterministic for `seed`); returns (files, bytes) replaced.
pub fn replace_files(root: &Path, fraction: f64, seed: u64) -> BenchResult<(usize, u64)> {
    let files = dataset::list_files(root)?;
    let n = ((files.len() as f64 * fraction).round() as usize).clamp(1, files.len().max(1));
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut bytes = 0u64;
    let picked = rand::seq::index::sample(&mut rng, files.len(), n.min(files.len()));
    for idx in picked.iter() {
        let path = &files[idx];
        let len = std::fs::metadata(path)?.len();
        // in 4 MiB pieces (large files are up to 256 MiB)
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut piece = vec![0u8; 4 << 20];
        let mut left = len;
        while left > 0 {
            let n = left.min(piece.len() as u64) as usize;
            rng.fill_bytes(&mut piece[..n]);
            f.write_all(&piece[..n])?;
            left -= n as u64;
        }
        f.flush()?;
        bytes += len;
    }
    Ok((n, bytes))
}

struct PeerPrune {
    name: &'static str,
    seconds: f64,
    peak_rss: Option<u64>,
    before: u64,
    after: u64,
}

async fn wait_prune(client: &Client, job_id: &str) -> BenchResult<crate::api::prune::PruneJob> {
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let r = client.describe_prune_jobs(None, Some(job_id)).await?;
        if let Some(j) = r.prune_jobs.prune_job.into_iter().next().filter(|j| super::terminal(&j.status)) {
            if j.status != "COMPLETE" {
                bail!("prune job {job_id} ended {}: {}", j.status, j.error_message);
            }
            return Ok(j);
        }
        if Instant::now() > deadline {
            bail!("prune job {job_id} not finished within an hour");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Runs the prune phase on `data` (changed in place) and adds its rows and restore checks.
pub fn run(rt: &tokio::runtime::Runtime, exe: &Path, work: &Path, data: &Path, seed: u64, peers: &[Peer], cache_mode: CacheMode, report: &mut BenchReport) -> BenchResult<()> {
    let creds = Credentials { access_key_id: "LTAIbenchprune001".into(), access_key_secret: "bench-prune-secret".into() };
    let data_dir = work.join("prune-backend");
    rm(&data_dir);
    let repos: Vec<_> = peers.iter().map(|p| work.join(format!("{}-prune-repo", p.name()))).collect();
    let result = (|| -> BenchResult<()> {
        // Snapshots: the dataset, then ROUNDS rounds of FRACTION of the files replaced.
        let server = spawn_server(exe, &data_dir, &creds)?;
        let client = Client::new(&server.endpoint, creds.clone())?;
        let (client_id, vault_id) = rt.block_on(async {
            let c = client.create_backup_client("bench-prune", REGION, None).await?;
            super::wait_vault_created(&client, &c.vault_id).await?;
            // A prune of the empty vault now: the automatic prune (once a day per vault after
            // a removal) then stays away from the measured one.
            let j = client.create_prune_job(&c.vault_id, false).await?;
            wait_prune(&client, &j.job_id).await?;
            Ok::<_, BenchError>((c.client_id, c.vault_id))
        })?;
        for (p, repo) in peers.iter().zip(&repos) {
            rm(repo);
            p.init(repo)?;
        }
        let mut snaps = Vec::new();
        let mut replaced = 0u64;
        for round in 0..=ROUNDS {
            if round > 0 {
                replaced += replace_files(data, FRACTION, seed.wrapping_add(5000 + round as u64))?.1;
            }
            snaps.push(rt.block_on(mv_backup(&client, &vault_id, &client_id, &[data]))?.1);
            for (p, repo) in peers.iter().zip(&repos) {
                p.backup(repo, data)?;
            }
        }
        let kept = snaps.pop().expect("at least one snapshot");
        let source_hash = dataset::tree_hash(data)?;
        // Remove all but the newest.
        rt.block_on(async {
            for s in &snaps {
                client.delete_snapshot(&vault_id, s).await?;
            }
            Ok::<_, BenchError>(())
        })?;
        for (p, repo) in peers.iter().zip(&repos) {
            let mut ids = p.snapshot_ids(repo)?;
            if ids.len() != ROUNDS + 1 {
                bail!("{} lists {} snapshots, expected {}", p.name(), ids.len(), ROUNDS + 1);
            }
            ids.pop();
            p.forget(repo, &ids)?;
        }
        // A fresh backend process, so that its VmHWM is the prune's, not the backups'.
        drop(server);
        let server = spawn_server(exe, &data_dir, &creds)?;
        let client = Client::new(&server.endpoint, creds.clone())?;
        let pid = server.child.id();
        let vault_dir = data_dir.join("regions").join(REGION).join("vaults").join(&vault_id);
        let dir_before = dataset::dir_bytes(&vault_dir);
        equalise(cache_mode, &[&vault_dir]);
        let idle = proc_rss(pid).map(|(hwm, _)| hwm).unwrap_or(0);
        let t = Instant::now();
        let job = rt.block_on(async {
            let j = client.create_prune_job(&vault_id, false).await?;
            wait_prune(&client, &j.job_id).await
        })?;
        let ours_s = t.elapsed().as_secs_f64();
        let peak = proc_rss(pid).map(|(hwm, _)| hwm).unwrap_or(0);
        let dir_after = dataset::dir_bytes(&vault_dir);
        println!(
            "  mirrorvault prune: {ours_s:.2} s, peak RSS {:.0} MiB (idle {:.0} MiB), BytesFreed {}, StorageSize {} → {}, {} packs deleted, {} rewritten",
            peak as f64 / MIB,
            idle as f64 / MIB,
            human_bytes(job.bytes_freed.max(0) as u64),
            human_bytes(job.storage_size_before.max(0) as u64),
            human_bytes(job.storage_size_after.max(0) as u64),
            job.packs_deleted,
            job.packs_rewritten
        );
        // The kept snapshot restores identically after the prune.
        let target = work.join("restore-after-prune");
        rm(&target);
        let rt_s = rt.block_on(mv_restore(&client, &vault_id, &kept, &target))?;
        let ok = dataset::tree_hash(&restored_root(&target, data))? == source_hash;
        rm(&target);
        drop(server);
        report.restore_verified &= ok;
        report.restore_checks.push(format!("mirrorvault restore of the kept snapshot after prune: {}", if ok { "identical" } else { "DIFFERENT" }));
        println!("  restore of the kept snapshot after prune: {rt_s:.2} s, restored tree {}", if ok { "identical" } else { "DIFFERS" });

        let mut theirs = Vec::new();
        for (p, repo) in peers.iter().zip(&repos) {
            let before = dataset::dir_bytes(repo);
            equalise(cache_mode, &[repo]);
            let (s, rss) = p.prune(repo, &work.join(format!("{}-prune.stderr", p.name())))?;
            let after = dataset::dir_bytes(repo);
            println!("  {} prune: {s:.2} s, peak RSS {}, repository {} → {}", p.name(), rss.map(|r| format!("{:.0} MiB", r as f64 / MIB)).unwrap_or("?".into()), human_bytes(before), human_bytes(after));
            let target = work.join(format!("restore-after-prune-{}", p.name()));
            rm(&target);
            p.restore(repo, &target)?;
            if dataset::tree_hash(&restored_root(&target, data))? != source_hash {
                report.notes.push(format!("{}'s restore after prune differs from the source tree", p.name()));
            }
            rm(&target);
            theirs.push(PeerPrune { name: p.name(), seconds: s, peak_rss: rss, before, after });
        }

        let setup = format!(
            "{} snapshots ({} backup, then {ROUNDS} rounds of {:.0} % of the files replaced, {} in all), all but the newest removed; 1 run",
            ROUNDS + 1,
            human_bytes(report.dataset_bytes),
            FRACTION * 100.0,
            human_bytes(replaced)
        );
        let sides: Vec<Side> = theirs.iter().map(|p| Side { name: p.name.into(), times: vec![p.seconds] }).collect();
        time_rows(report, "prune time", &[ours_s], &sides, None, format!("{setup}; peers: prune --max-unused 5% (their default), ours rewrites packs more than half garbage").as_str());
        let ours_rss = Stat::of(&[peak as f64 / MIB]);
        let rss_note = format!("VmHWM of a fresh `mirrorvault serve` (idle {:.0} MiB) / ru_maxrss of the peer", idle as f64 / MIB);
        let with_rss: Vec<&PeerPrune> = theirs.iter().filter(|p| p.peak_rss.is_some()).collect();
        if with_rss.is_empty() {
            report.rows.push(Row::new("prune peak RSS", "MiB", false, ours_rss.clone()).note(&rss_note));
        }
        for p in with_rss {
            let r = p.peak_rss.unwrap_or(0) as f64 / MIB;
            report.rows.push(Row::new(format!("prune peak RSS vs {}", p.name), "MiB", false, ours_rss.clone()).vs(p.name, Stat::of(&[r])).note(&rss_note));
        }
        let freed = Stat::of(&[job.bytes_freed.max(0) as f64 / MIB]);
        let ours_note = format!(
            "ours: BytesFreed, StorageSize {} → {}, vault dir {} → {}, {} packs deleted, {} rewritten",
            human_bytes(job.storage_size_before.max(0) as u64),
            human_bytes(job.storage_size_after.max(0) as u64),
            human_bytes(dir_before),
            human_bytes(dir_after),
            job.packs_deleted,
            job.packs_rewritten
        );
        if theirs.is_empty() {
            report.rows.push(Row::new("space freed", "MiB", true, freed.clone()).note(&ours_note));
        }
        for p in &theirs {
            let theirs_freed = Stat::of(&[p.before.saturating_sub(p.after) as f64 / MIB]);
            let note = format!("{ours_note}; {}: repository dir {} → {}", p.name, human_bytes(p.before), human_bytes(p.after));
            report.rows.push(Row::new(format!("space freed vs {}", p.name), "MiB", true, freed.clone()).vs(p.name, theirs_freed).note(&note));
            report.rows.push(
                Row::new(format!("space after prune vs {}", p.name), "MiB", false, Stat::of(&[dir_after as f64 / MIB])).vs(p.name, Stat::of(&[p.after as f64 / MIB])).note("vault / repository directory after prune"),
            );
        }
        Ok(())
    })();
    rm(&data_dir);
    for r in &repos {
        rm(r);
    }
    result
}
