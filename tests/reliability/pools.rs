//! Bounded job pools (`[jobs]` in config.toml): a burst of backups waits its turn, says so,
//! can be canceled while it waits, and does not hold up a restore (its own pool); the job
//! history is trimmed after `history_days`.
use std::io::Write;
use std::time::Duration;

use crate::support::*;

#[tokio::test]
async fn a_burst_of_backups_queues_behind_one_worker_and_restores_keep_their_share() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[jobs]\nbackup_workers = 1\nrestore_workers = 1\n").unwrap();
    let t = TestServer::start_in(dir, Duration::from_secs(3600)).await;
    let small = tempfile::tempdir().unwrap();
    make_tree(small.path(), 3, 5);
    let c = t.client.create_backup_client("burst", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let snap = backup(&t.client, &c.vault_id, &c.client_id, &[small.path()]).await;

    // four backups of 48 MiB of fresh random data each, started at once
    let mut trees = Vec::new();
    for i in 0..4u64 {
        let d = tempfile::tempdir().unwrap();
        let mut f = std::fs::File::create(d.path().join("big.bin")).unwrap();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(100 + i);
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..48 {
            rand::RngCore::fill_bytes(&mut rng, &mut buf);
            f.write_all(&buf).unwrap();
        }
        trees.push(d);
    }
    let mut jobs = Vec::new();
    for d in &trees {
        let include = vec![d.path().display().to_string()];
        jobs.push(t.client.create_backup_job(&c.vault_id, &c.client_id, &include, &[]).await.unwrap().job_id);
    }
    // a restore now runs in its own pool while backups still wait
    let out = tempfile::tempdir().unwrap();
    let r = t.client.create_restore_job(&c.vault_id, &snap, &out.path().display().to_string(), &[], false).await.unwrap();
    let restored = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(restored.job.status, "COMPLETE", "{}", restored.job.error_message);
    let statuses = backup_statuses(&t, &jobs).await;
    assert!(statuses.iter().filter(|(s, _)| s == "RUNNING").count() <= 1, "one worker, yet {statuses:?}");
    let waiting: Vec<_> = statuses.iter().filter(|(s, _)| s == "CREATED").collect();
    assert!(!waiting.is_empty(), "the restore finished only after every backup had started: {statuses:?}");
    assert!(waiting.iter().all(|(_, m)| m.contains("Waiting for a free backup worker")), "{waiting:?}");

    // the last one is canceled while it waits; the others all complete, one at a time
    let last = jobs.last().unwrap().clone();
    if backup_statuses(&t, &[last.clone()]).await[0].0 == "CREATED" {
        let _: serde_json::Value = t.client.cancel_backup_job(&last).await.unwrap();
        assert_eq!(wait_backup(&t.client, &last).await.job.status, "CANCELED");
    }
    let mut most_running = 0;
    loop {
        let s = backup_statuses(&t, &jobs).await;
        most_running = most_running.max(s.iter().filter(|(st, _)| st == "RUNNING").count());
        if s.iter().all(|(st, _)| st != "CREATED" && st != "RUNNING") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(most_running, 1, "never more backups running than workers");
    for j in &jobs[..3] {
        let row = wait_backup(&t.client, j).await;
        assert_eq!(row.job.status, "COMPLETE", "{}", row.job.error_message);
        assert!(row.job.error_message.is_empty(), "a started job no longer says it waits: {}", row.job.error_message);
    }
    let vj = t.client.create_verify_job(&c.vault_id, None, true).await.unwrap();
    let v = wait_verify(&t.client, &vj.job_id).await;
    assert_eq!(v.job.status, "COMPLETE", "{}", v.job.error_message);
    assert!(v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty() && v.damaged_files.is_empty(), "{v:?}");
}

/// The jobs' statuses and messages, read in one request (one catalog query), in `jobs` order.
async fn backup_statuses(t: &TestServer, jobs: &[String]) -> Vec<(String, String)> {
    let all = t.client.describe_backup_jobs(None, None).await.unwrap().backup_jobs.backup_job;
    jobs.iter()
        .map(|j| {
            let row = all.iter().find(|r| &r.job_id == j).expect("the job is listed");
            (row.job.status.clone(), row.job.error_message.clone())
        })
        .collect()
}

#[tokio::test]
async fn finished_jobs_older_than_history_days_leave_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[jobs]\nhistory_days = 30\n").unwrap();
    let t = TestServer::start_in(dir, Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 4, 3);
    let c = t.client.create_backup_client("history", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let mut jobs = Vec::new();
    for _ in 0..3 {
        let include = vec![src.path().display().to_string()];
        let j = t.client.create_backup_job(&c.vault_id, &c.client_id, &include, &[]).await.unwrap().job_id;
        let done = wait_backup(&t.client, &j).await;
        assert_eq!(done.job.status, "COMPLETE", "{done:?}");
        jobs.push(j);
    }
    let mut t = t;
    t.stop().await;
    // two of them finished 31 and 400 days ago; the third today
    let conn = rusqlite::Connection::open(t.dir.path().join("catalog.sqlite")).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    for (j, days) in jobs.iter().zip([400, 31]) {
        conn.execute("UPDATE jobs SET complete_time = ?2, created_time = ?2 WHERE job_id = ?1", rusqlite::params![j, now - days * 86_400]).unwrap();
    }
    drop(conn);
    let t = t.restart().await;
    wait_until(Duration::from_secs(20), "old jobs trimmed", || async {
        t.client.describe_backup_jobs(Some(&c.vault_id), None).await.unwrap().backup_jobs.backup_job.len() == 1
    })
    .await;
    let left = t.client.describe_backup_jobs(Some(&c.vault_id), None).await.unwrap().backup_jobs.backup_job;
    assert_eq!(left[0].job_id, jobs[2], "the recent job stays");
    assert_eq!(t.client.describe_snapshots(&c.vault_id).await.unwrap().snapshots.snapshot.len(), 3, "snapshots are not job history");
}
