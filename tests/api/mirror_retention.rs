//! The mirror keeps its own copies (issue 16): deleting or expiring a snapshot in the source
//! never deletes the mirror's copy (which still restores); a copy keeps its source retention
//! unless the mirror has its own (`UpdateVault` `Retention`, `KeepLatestSnapshots`); a copy the
//! mirror dropped is never copied again; a mirror may be WORM on its own. The retention clock is
//! moved with the server's test knob (`state.retention.set_clock_offset`).
use std::time::Duration;

use mirrorvault::api::backup::*;
use mirrorvault::api::vault::UpdateVaultRequest;
use mirrorvault::backend::retention::policy::DAY;

use super::retention::backup_kept;
use crate::support::*;

async fn list(t: &TestServer, vault_id: &str) -> Vec<Snapshot> {
    t.client.describe_snapshots(vault_id).await.unwrap().snapshots.snapshot
}

async fn ids(t: &TestServer, vault_id: &str) -> Vec<String> {
    let mut v: Vec<String> = list(t, vault_id).await.into_iter().map(|s| s.snapshot_id).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<&String>) -> Vec<String> {
    v.sort();
    v.into_iter().cloned().collect()
}

#[tokio::test]
async fn the_mirror_keeps_its_own_copies() {
    let t = TestServer::start_with(Duration::ZERO).await;
    let state = t.running().state.clone();
    let src = tempfile::tempdir().unwrap();
    let data = src.path().join("data");
    make_tree(&data, 21, 6);
    let c = t.client.create_backup_client("dr", "cn-hangzhou", None).await.unwrap();
    let mut made = Vec::new();
    for retention in [None, Some("1"), None, None] {
        if !made.is_empty() {
            tokio::time::sleep(Duration::from_millis(1100)).await; // distinct CompleteTime seconds: "newest" is by CompleteTime
        }
        made.push(backup_kept(&t, &c.vault_id, &c.client_id, &data, retention).await.1);
    }
    let [s0, s1, s2, s3] = <[String; 4]>::try_from(made).unwrap();
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-beijing", "dr-mirror", "").await.unwrap().vault_id;
    t.wait_created(&m).await;
    wait_until(Duration::from_secs(30), "all four copies in the mirror", || async { list(&t, &m).await.len() == 4 }).await;

    // By default a copy keeps its source retention.
    let copy = list(&t, &m).await.into_iter().find(|s| s.snapshot_id == s1).unwrap();
    let orig = list(&t, &c.vault_id).await.into_iter().find(|s| s.snapshot_id == s1).unwrap();
    assert_eq!((copy.retention, copy.expire_time), (1, orig.expire_time));
    assert!(orig.expire_time > 0);

    // Deleting in the source leaves the mirror's copy, which restores.
    t.client.delete_snapshot(&c.vault_id, &s2).await.unwrap();
    assert!(!ids(&t, &c.vault_id).await.contains(&s2));
    assert!(ids(&t, &m).await.contains(&s2), "deleting in the source deleted the mirror's copy");
    let out = tempfile::tempdir().unwrap();
    let r = t.client.create_restore_job(&m, &s2, &out.path().display().to_string(), &[], false).await.unwrap();
    let j = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(j.job.status, JOB_COMPLETE, "{}", j.job.error_message);
    assert_trees_equal_content_mode_mtime(&data, &rerooted(out.path(), &data));

    // The mirror's own retention (30 days) overrides the copies' source retention, so expiry
    // in the source does not reach the mirror.
    t.client.set_mirror_retention(&m, Some(30), None).await.unwrap();
    let v = t.client.vault(&m).await.unwrap().unwrap();
    assert_eq!((v.retention, v.keep_latest_snapshots), (30, 0));
    assert!(list(&t, &m).await.iter().all(|s| s.retention == 30 && s.expire_time == s.complete_time + 30 * DAY));
    state.retention.set_clock_offset(2 * DAY);
    assert_eq!(mirrorvault::backend::retention::expire_vault(&state, &c.vault_id).await, 1);
    assert_eq!(ids(&t, &c.vault_id).await, sorted(vec![&s0, &s3]));
    assert_eq!(mirrorvault::backend::retention::expire_vault(&state, &m).await, 0);
    assert_eq!(ids(&t, &m).await, sorted(vec![&s0, &s1, &s2, &s3]), "expiry in the source reached the mirror");

    // A 1-day own retention keeping the latest: the mirror drops all but its newest copy…
    t.client.set_mirror_retention(&m, Some(1), Some(true)).await.unwrap();
    assert_eq!(ids(&t, &m).await, vec![s3.clone()]);
    assert!(state.catalog.deleted_snapshot_ids(&m).unwrap().contains(&s0));
    // …and never copies s0 (still in the source) again.
    for _ in 0..3 {
        t.client.sync_replication_vault_now(&m).await.unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert_eq!(ids(&t, &m).await, vec![s3.clone()], "a copy the mirror dropped was copied again");
    let history = t.client.describe_replication_history(&m).await.unwrap().records.record;
    assert_eq!(history.iter().filter(|h| h.snapshot_id == s0).count(), 1, "{history:?}");
    assert!(ids(&t, &c.vault_id).await.contains(&s0), "the mirror's retention reached the source");

    // A mirror may be WORM on its own: its copies cannot be deleted before their ExpireTime and
    // their retention cannot be shortened; the source stays free.
    state.retention.set_clock_offset(0);
    t.client.set_mirror_retention(&m, Some(60), None).await.unwrap();
    t.client.enable_worm(&m).await.unwrap();
    assert!(t.client.vault(&m).await.unwrap().unwrap().worm_enabled);
    assert!(!t.client.vault(&c.vault_id).await.unwrap().unwrap().worm_enabled);
    assert_eq!(code(&t.client.set_mirror_retention(&m, Some(10), None).await.unwrap_err()), ("WormRetentionCannotBeShortened", 409));
    assert_eq!(list(&t, &m).await[0].retention, 60, "a refused shortening changed nothing");
    t.client.set_mirror_retention(&m, Some(90), None).await.unwrap();
    let off = UpdateVaultRequest { vault_id: m.clone(), worm_enabled: Some(false), ..Default::default() };
    assert_eq!(code(&t.client.send(&off).await.unwrap_err()), ("WormCannotBeDisabled", 409));
    assert_eq!(code(&t.client.delete_snapshot(&m, &s3).await.unwrap_err()), ("SnapshotWormProtected", 409));
    t.client.delete_snapshot(&c.vault_id, &s3).await.unwrap();
    assert_eq!(ids(&t, &m).await, vec![s3.clone()]);
    // A vault-level retention belongs to mirrors only.
    assert_eq!(code(&t.client.set_mirror_retention(&c.vault_id, Some(5), None).await.unwrap_err()), ("InvalidParameter", 400));
}
