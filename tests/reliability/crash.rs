//! Reliability, scenario 1: crash anywhere. The real binary is killed with SIGKILL at seeded
//! random moments during backups and during (rate-limited, so slow) replication, and restarted
//! on the same data dir each time. Promise: the catalog opens, no job stays RUNNING, every
//! snapshot that was reported complete (or that the restart found committed) restores byte for
//! byte from the source and from the mirror, replication resumes and the mirror catches up,
//! and a ReadData verify finds 0 damaged objects in either copy.
//!
//! `MIRRORVAULT_CRASH_ROUNDS` (default 20) and `MIRRORVAULT_CRASH_SEED` (default 20260101) make
//! it longer or pick other moments; the seed is printed so a failure can be replayed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::child::{Backend, Launch};
use crate::support::{assert_trees_equal_content_mode_mtime, creds, make_tree, wait_backup, wait_restore, wait_until, wait_verify};
use mirrorvault::client::Client;
use rand::{Rng, RngCore, SeedableRng};

fn launch(dir: &Path) -> Backend {
    Backend::start(&Launch { data_dir: dir, delay: "5s", credentials: creds(), rust_log: "info", extra_env: vec![] })
}

fn copy_tree(from: &Path, to: &Path) {
    let st = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(st.success());
}

async fn snapshot_ids(c: &Client, vault: &str) -> Vec<String> {
    let mut out = Vec::new();
    for page in 1.. {
        let r: mirrorvault::api::backup::DescribeSnapshotsResponse =
            c.call("DescribeSnapshots", &[("VaultId", vault.to_string()), ("PageSize", "100".into()), ("PageNumber", page.to_string())]).await.unwrap();
        let n = r.snapshots.snapshot.len();
        out.extend(r.snapshots.snapshot.into_iter().map(|s| s.snapshot_id));
        if n < 100 {
            break;
        }
    }
    out
}

/// Changes the tree a little and adds `new_bytes` of fresh incompressible data.
fn mutate(data: &Path, rng: &mut rand::rngs::StdRng, round: usize, new_bytes: usize) {
    let mut buf = vec![0u8; new_bytes];
    rng.fill_bytes(&mut buf);
    std::fs::write(data.join(format!("round-{round}.bin")), &buf).unwrap();
    std::fs::write(data.join("docs/nested/changing.txt"), format!("round {round}\n").repeat(rng.gen_range(1..500))).unwrap();
    if round >= 3 && rng.gen_bool(0.3) {
        let _ = std::fs::remove_file(data.join(format!("round-{}.bin", round - 3)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_during_backups_and_replication() {
    let rounds: usize = std::env::var("MIRRORVAULT_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let seed: u64 = std::env::var("MIRRORVAULT_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(20260101);
    eprintln!("crash test: {rounds} rounds, seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let backend_dir = dir.path().join("backend");
    let data = dir.path().join("data");
    let expected_root = dir.path().join("expected");
    std::fs::create_dir_all(&expected_root).unwrap();
    make_tree(&data, seed, 12);

    let mut b = launch(&backend_dir);
    let c = b.client.create_backup_client("crash", "cn-hangzhou", None).await.unwrap();
    let (vault, client_id) = (c.vault_id.clone(), c.client_id.clone());
    let cl = b.client.clone();
    wait_until(Duration::from_secs(20), "source created", || async { cl.vault(&vault).await.ok().flatten().is_some_and(|v| v.status == "CREATED") }).await;
    let m = b.client.create_replication_vault(&vault, "cn-hangzhou", "cn-shanghai", "crash-dr", "").await.unwrap();
    let mirror = m.vault_id.clone();
    wait_until(Duration::from_secs(20), "mirror created", || async { cl.vault(&mirror).await.ok().flatten().is_some_and(|v| v.status == "CREATED") }).await;
    // slow replication down so kills land in the middle of copies
    b.client.update_vault(&vault, None, None, Some(1_000_000)).await.unwrap();

    // snapshot id -> a copy of the data it holds
    let mut expected: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut kills = Vec::new();
    for round in 0..rounds {
        let c = b.client.clone();
        // The catalog opened; nothing is left RUNNING; snapshots the last life committed are known.
        let v = c.vault(&vault).await.unwrap().expect("source vault survives");
        assert_eq!(v.status, "CREATED", "round {round}: {}", v.vault_status_message);
        assert!(c.vault(&mirror).await.unwrap().is_some(), "round {round}: mirror survives");
        let jobs = c.describe_backup_jobs(Some(&vault), None).await.unwrap().backup_jobs.backup_job;
        assert!(jobs.iter().all(|j| !["RUNNING", "CREATED"].contains(&j.job.status.as_str())), "round {round}: a job survived a kill as running: {jobs:?}");
        for sid in snapshot_ids(&c, &vault).await {
            if !expected.contains_key(&sid) {
                // committed by the previous life after we last looked: it holds the current data
                let copy = expected_root.join(&sid);
                copy_tree(&data, &copy);
                expected.insert(sid, copy);
            }
        }

        let new_bytes = rng.gen_range(1_000_000..2_500_000);
        mutate(&data, &mut rng, round, new_bytes);
        let during_backup = round % 2 == 0 || round < 2;
        let job = c.create_backup_job(&vault, &client_id, &[data.display().to_string()], &[]).await.unwrap();
        let kill_at;
        if during_backup {
            kill_at = Duration::from_millis(rng.gen_range(0..1500));
        } else {
            // let the backup finish, then kill while the mirror copies it
            let j = wait_backup(&c, &job.job_id).await;
            assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
            kill_at = Duration::from_millis(rng.gen_range(0..2500));
        }
        let start = Instant::now();
        loop {
            let r = c.describe_backup_jobs(None, Some(&job.job_id)).await.unwrap();
            if let Some(j) = r.backup_jobs.backup_job.first() {
                if j.job.status == "COMPLETE" && !expected.contains_key(&j.snapshot_id) {
                    let copy = expected_root.join(&j.snapshot_id);
                    copy_tree(&data, &copy);
                    expected.insert(j.snapshot_id.clone(), copy);
                }
            }
            if start.elapsed() >= kill_at {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mirror_state = c.vault(&mirror).await.ok().flatten().map(|v| v.replication_status).unwrap_or_default();
        b.kill9();
        kills.push(format!("round {round}: {} +{kill_at:?} (mirror {mirror_state})", if during_backup { "backup" } else { "replication" }));
        b = launch(&backend_dir);
    }
    eprintln!("kills:\n  {}", kills.join("\n  "));

    // Final life: full speed; the mirror catches up with everything the source holds.
    let c = b.client.clone();
    for sid in snapshot_ids(&c, &vault).await {
        if !expected.contains_key(&sid) {
            let copy = expected_root.join(&sid);
            copy_tree(&data, &copy);
            expected.insert(sid, copy);
        }
    }
    assert!(expected.len() >= rounds / 2, "too few snapshots completed: {}", expected.len());
    c.update_vault(&vault, None, None, Some(0)).await.unwrap();
    let source_snaps = snapshot_ids(&c, &vault).await;
    wait_until(Duration::from_secs(180), "mirror catches up", || async {
        let have = snapshot_ids(&c, &mirror).await;
        source_snaps.iter().all(|s| have.contains(s))
    })
    .await;
    for v in [&vault, &mirror] {
        let vj = c.create_verify_job(v, None, true).await.unwrap();
        let r = wait_verify(&c, &vj.job_id).await;
        assert_eq!(r.job.status, "COMPLETE", "{}", r.job.error_message);
        assert!(r.damaged_objects.is_empty() && r.damaged_snapshots.is_empty() && r.damaged_files.is_empty(), "verify of {v} after crashes: {r:?}");
    }
    let out = tempfile::tempdir().unwrap();
    for (i, (sid, copy)) in expected.iter().enumerate() {
        for v in [&vault, &mirror] {
            let target = out.path().join(format!("{i}-{v}"));
            let r = c.create_restore_job(v, sid, &target.display().to_string(), &[], false).await.unwrap();
            let j = wait_restore(&c, &r.restore_id).await;
            assert_eq!(j.job.status, "COMPLETE", "restore of {sid} from {v}: {}", j.job.error_message);
            assert_trees_equal_content_mode_mtime(copy, &target.join(data.strip_prefix("/").unwrap()));
            std::fs::remove_dir_all(&target).unwrap();
        }
    }
    eprintln!("crash test: {} snapshots restored byte for byte from source and mirror after {} kills", expected.len(), kills.len());
    b.terminate();
}
