//! Mirror replication through the real server: real-time copies at once, historical copies after
//! the delay, restore and verify from the mirror after region A's location is gone.
use std::time::{Duration, Instant};

use crate::support::*;

#[tokio::test]
async fn realtime_then_historical_then_region_loss() {
    let delay = Duration::from_secs(8);
    let t = TestServer::start_with(delay).await;
    let src = tempfile::tempdir().unwrap();
    let data = src.path().join("data");
    make_tree(&data, 11, 30);
    let c = t.client.create_backup_client("web", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let historical = backup(&t.client, &c.vault_id, &c.client_id, &[&data]).await;

    let created_at = Instant::now();
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-beijing", "web-dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    let mirror = t.client.vault(&m.vault_id).await.unwrap().unwrap();
    assert_eq!(mirror.replication_status, "WAITING_HISTORICAL");
    assert_eq!(mirror.replication_progress.historical_replication_progress, 0);
    assert!(mirror.historical_replication_start_time >= mirror.created_time + delay.as_secs() as i64 - 1);

    // a new backup appears in the mirror without waiting for the delay
    std::fs::write(data.join("after-mirror.txt"), b"written after the mirror existed").unwrap();
    let realtime = backup(&t.client, &c.vault_id, &c.client_id, &[&data]).await;
    wait_until(Duration::from_secs(20), "the real-time snapshot in the mirror", || async {
        t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.iter().any(|s| s.snapshot_id == realtime)
    })
    .await;
    let in_mirror: Vec<_> = t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.into_iter().map(|s| s.snapshot_id).collect();
    assert!(created_at.elapsed() < delay, "test too slow to observe the delay");
    assert!(!in_mirror.contains(&historical), "historical snapshot copied before the delay");

    // after the delay the historical one follows; progress reaches 100, status IN_SYNC
    wait_until(Duration::from_secs(40), "the historical copy (progress 100, IN_SYNC)", || async {
        let v = t.client.vault(&m.vault_id).await.unwrap().unwrap();
        v.replication_progress.historical_replication_progress == 100 && v.replication_status == "IN_SYNC"
    })
    .await;
    let in_mirror: Vec<_> = t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.into_iter().map(|s| s.snapshot_id).collect();
    assert!(in_mirror.contains(&historical) && in_mirror.contains(&realtime));
    let history = t.client.describe_replication_history(&m.vault_id).await.unwrap().records.record;
    assert!(history.iter().any(|h| h.snapshot_id == realtime && h.kind == "REALTIME"));
    assert!(history.iter().any(|h| h.snapshot_id == historical && h.kind == "HISTORICAL"));
    let source = t.client.vault(&c.vault_id).await.unwrap().unwrap();
    assert!(source.latest_replication_time > 0 && source.replication_progress.new_replication_progress > 0);

    // region A's location is lost: the mirror still restores and verifies
    std::fs::remove_dir_all(t.dir.path().join("regions/cn-hangzhou")).unwrap();
    t.server.as_ref().unwrap().state.hub.forget(&c.vault_id);
    let out = tempfile::tempdir().unwrap();
    let r = t.client.create_restore_job(&m.vault_id, &realtime, &out.path().display().to_string(), &[], false).await.unwrap();
    let j = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    assert_trees_equal_content_mode_mtime(&data, &out.path().join(data.strip_prefix("/").unwrap()));
    let vj = t.client.create_verify_job(&m.vault_id, None, true).await.unwrap();
    let v = wait_verify(&t.client, &vj.job_id).await;
    assert_eq!(v.job.status, "COMPLETE");
    assert!(v.damaged_objects.is_empty(), "{v:?}");
}

#[tokio::test]
async fn sync_now_starts_the_historical_copy() {
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 5, 10);
    let c = t.client.create_backup_client("db", "cn-shanghai", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let s = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    let m = t.client.create_replication_vault(&c.vault_id, "cn-shanghai", "ap-southeast-1", "db-dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.is_empty());
    t.client.sync_replication_vault_now(&c.vault_id).await.unwrap();
    wait_until(Duration::from_secs(20), "the snapshot in the mirror after Sync Now", || async {
        t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.iter().any(|x| x.snapshot_id == s)
    })
    .await;
}

#[tokio::test]
async fn outage_pauses_replication_and_resumes_without_loss() {
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 9, 5);
    let c = t.client.create_backup_client("app", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-shanghai", "app-dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    let s1 = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    wait_until(Duration::from_secs(20), "the first snapshot in the mirror", || async {
        t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.len() == 1
    })
    .await;
    // mirror region down: a new source snapshot cannot be copied; the mirror says why
    t.client.set_region_outage("cn-shanghai", true).await.unwrap();
    std::fs::write(src.path().join("more.txt"), b"more").unwrap();
    let s2 = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    wait_until(Duration::from_secs(20), "the source PAUSED with a message", || async {
        let v = t.client.vault(&c.vault_id).await.unwrap().unwrap();
        v.replication_status == "PAUSED" && !v.replication_status_message.is_empty()
    })
    .await;
    let mirror = t.client.vault(&m.vault_id).await.unwrap().unwrap();
    assert_eq!(mirror.status, "ERROR");
    assert!(mirror.region_outage);
    t.client.set_region_outage("cn-shanghai", false).await.unwrap();
    wait_until(Duration::from_secs(90), "both snapshots in the mirror after the outage", || async {
        let ids: Vec<_> = t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.into_iter().map(|s| s.snapshot_id).collect();
        ids.contains(&s1) && ids.contains(&s2)
    })
    .await;
}

/// A mirror's first copy of one large snapshot, rate-limited: its historical progress, pending
/// bytes and ETA move while the pack streams in, not only when the whole snapshot has landed.
#[tokio::test]
async fn historical_progress_moves_within_a_snapshot() {
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("big.bin"), crate::support::fixtures::random_bytes(12 << 20, 3)).unwrap();
    let c = t.client.create_backup_client("big", "cn-shanghai", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let s = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    let m = t.client.create_replication_vault(&c.vault_id, "cn-shanghai", "ap-southeast-1", "big-dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    let limit = 3i64 << 20;
    t.client.send(&mirrorvault::api::vault::UpdateVaultRequest { vault_id: m.vault_id.clone(), replication_rate_limit: Some(limit), ..Default::default() }).await.unwrap();
    t.client.sync_replication_vault_now(&c.vault_id).await.unwrap();
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    loop {
        let v = t.client.vault(&m.vault_id).await.unwrap().unwrap();
        let p = v.replication_progress.historical_replication_progress;
        seen.push((p, v.replication_bytes_pending, v.replication_eta));
        if p == 100 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the historical sync did not finish: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let midway: Vec<_> = seen.iter().filter(|(p, pending, _)| *p > 0 && *p < 100 && *pending > 0).collect();
    assert!(midway.len() >= 2, "progress between 0 and 100 while copying: {seen:?}");
    assert!(midway.windows(2).any(|w| w[1].0 > w[0].0 && w[1].1 < w[0].1), "progress rises and pending falls: {seen:?}");
    assert!(midway.iter().any(|(_, _, eta)| *eta > 0), "an ETA while copying: {seen:?}");
    assert!(t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.iter().any(|x| x.snapshot_id == s));
}
