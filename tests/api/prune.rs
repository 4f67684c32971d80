//! Prune jobs through the API: `CreatePruneJob` (DryRun, 409 while one runs, on a mirror),
//! `DescribePruneJobs`, `StorageSize` / `StorageSizeReferenced` in `DescribeVaults`, leaked
//! packs of a failed backup removed after the grace period, and the automatic prune after a
//! snapshot was removed. Snapshots are removed the way `DeleteSnapshot` does it in storage
//! (`Repo::delete_snapshot`) plus the catalog's deletion record.
use std::path::Path;
use std::time::Duration;

use crate::support::fixtures::{random_bytes, write};
use crate::support::{
    assert_trees_equal_content_mode_mtime, backup, code, rerooted, wait_prune, wait_restore,
    wait_until, wait_verify, TestServer,
};
use mirrorvault::api::prune::PruneJob;
use mirrorvault::client::Client;

const REGION: &str = "cn-hangzhou";

async fn server_with(prune_toml: &str) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[prune]\n{prune_toml}\n"),
    )
    .unwrap();
    TestServer::options()
        .delay(Duration::from_secs(1))
        .start_in(dir)
        .await
}

async fn prune(c: &Client, vault: &str, dry_run: bool) -> PruneJob {
    let j = c.create_prune_job(vault, dry_run).await.unwrap();
    let p = wait_prune(c, &j.job_id).await;
    assert_eq!(p.status, "COMPLETE", "{}", p.error_message);
    p
}

async fn assert_verifies(c: &Client, vault: &str) {
    let vj = c.create_verify_job(vault, None, true).await.unwrap();
    let v = wait_verify(c, &vj.job_id).await;
    assert_eq!(v.job.status, "COMPLETE", "{}", v.job.error_message);
    assert!(
        v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty(),
        "{v:?}"
    );
}

async fn assert_restores(c: &Client, vault: &str, snapshot: &str, src: &Path, target: &Path) {
    let r = c
        .create_restore_job(vault, snapshot, &target.display().to_string(), &[], false)
        .await
        .unwrap();
    let j = wait_restore(c, &r.restore_id).await;
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    assert_trees_equal_content_mode_mtime(src, &rerooted(target, src));
}

async fn sizes(c: &Client, vault: &str) -> (i64, i64) {
    let v = c.vault(vault).await.unwrap().unwrap();
    (v.storage_size, v.storage_size_referenced)
}

/// Two snapshots sharing `b`; the first also holds 4 MiB of its own. Returns (client, vault,
/// first snapshot, second snapshot, second's tree).
async fn two_snapshots(
    t: &TestServer,
    root: &Path,
) -> (String, String, String, String, std::path::PathBuf) {
    let (one, two) = (root.join("one"), root.join("two"));
    let b = random_bytes(1 << 20, 2);
    write(&one.join("a.bin"), &random_bytes(4 << 20, 1));
    write(&one.join("b.bin"), &b);
    write(&two.join("b.bin"), &b);
    write(&two.join("c.bin"), &random_bytes(2 << 20, 3));
    let c = t
        .client
        .create_backup_client("prune", REGION, None)
        .await
        .unwrap();
    t.wait_created(&c.vault_id).await;
    let s1 = backup(&t.client, &c.vault_id, &c.client_id, &[&one]).await;
    let s2 = backup(&t.client, &c.vault_id, &c.client_id, &[&two]).await;
    (c.client_id, c.vault_id, s1, s2, two)
}

async fn remove_snapshot(t: &TestServer, vault: &str, snapshot: &str) {
    let st = &t.running().state;
    st.hub
        .repo(REGION, vault)
        .await
        .unwrap()
        .delete_snapshot(snapshot)
        .await
        .unwrap();
    st.catalog
        .record_deleted_snapshot(vault, snapshot, "test")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_job_frees_the_deleted_snapshot_and_reports_it() {
    let t = server_with("grace = \"0s\"\ninterval = \"24h\"").await;
    let tmp = tempfile::tempdir().unwrap();
    let (_, vault, s1, s2, two) = two_snapshots(&t, tmp.path()).await;
    let (total, referenced) = sizes(&t.client, &vault).await;
    assert_eq!(total, referenced, "nothing leaked yet");
    let st = &t.running().state;
    st.hub
        .repo(REGION, &vault)
        .await
        .unwrap()
        .delete_snapshot(&s1)
        .await
        .unwrap();

    // DryRun: reports, deletes nothing.
    let dry = prune(&t.client, &vault, true).await;
    assert!(
        dry.dry_run && dry.packs_rewritten + dry.packs_deleted >= 1,
        "{dry:?}"
    );
    assert!(dry.bytes_freed > 3 << 20, "{dry:?}");
    assert_eq!(
        dry.storage_size_after,
        dry.storage_size_before - dry.bytes_freed
    );
    assert_eq!(
        sizes(&t.client, &vault).await.0,
        dry.storage_size_before,
        "a dry run freed something"
    );

    let p = prune(&t.client, &vault, false).await;
    assert!(!p.dry_run && p.packs_rewritten == 1, "{p:?}");
    assert_eq!(p.snapshots_removed, 0);
    assert!(
        p.storage_size_before - p.storage_size_after > (39 << 20) / 10,
        "{p:?}"
    );
    assert!(
        p.start_time >= p.created_time
            && p.complete_time >= p.start_time
            && p.error_message.is_empty(),
        "{p:?}"
    );
    let (total, referenced) = sizes(&t.client, &vault).await;
    assert_eq!(
        total, p.storage_size_after,
        "StorageSize is what the location holds"
    );
    assert_eq!(referenced, total);
    assert_verifies(&t.client, &vault).await;
    assert_restores(&t.client, &vault, &s2, &two, &tmp.path().join("r")).await;

    // The list: by vault and by job, newest first, with paging fields.
    let list = t
        .client
        .describe_prune_jobs(Some(&vault), None)
        .await
        .unwrap();
    assert_eq!(list.page.total_count, 2);
    let jobs = &list.prune_jobs.prune_job;
    assert!(
        jobs.iter().any(|j| j.job_id == p.job_id) && jobs.iter().any(|j| j.job_id == dry.job_id),
        "{jobs:?}"
    );
    assert!(
        jobs[0].created_time >= jobs[1].created_time,
        "newest first: {jobs:?}"
    );
    assert!(jobs.iter().all(|j| j.trigger_mode == "MANUAL"));
    assert!(t
        .client
        .describe_prune_jobs(Some("v-none"), None)
        .await
        .unwrap()
        .prune_jobs
        .prune_job
        .is_empty());

    // One prune per vault at a time: 409 while one runs (the running one held here).
    st.jobs.prunes.lock().unwrap().insert(vault.clone());
    let e = t.client.create_prune_job(&vault, false).await.unwrap_err();
    assert_eq!(code(&e), ("PruneJobAlreadyRunning", 409));
    st.jobs.prunes.lock().unwrap().remove(&vault);
    // Unknown vault, missing vault id.
    assert_eq!(
        code(
            &t.client
                .create_prune_job("v-none", false)
                .await
                .unwrap_err()
        )
        .1,
        404
    );
    assert_eq!(
        code(&t.client.create_prune_job("", false).await.unwrap_err()),
        ("MissingParameter", 400)
    );
}

/// A backup that failed after writing packs (its index files and manifest gone) leaves bytes
/// that StorageSize counts and StorageSizeReferenced does not; prune removes them once older
/// than the grace period (here 2 s) and the two figures meet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaked_packs_show_in_storage_size_and_go_after_the_grace_period() {
    let t = server_with("grace = \"2s\"").await;
    let tmp = tempfile::tempdir().unwrap();
    let (keep, lost) = (tmp.path().join("keep"), tmp.path().join("lost"));
    write(&keep.join("k.bin"), &random_bytes(1 << 20, 5));
    write(&lost.join("l.bin"), &random_bytes(3 << 20, 6));
    let c = t
        .client
        .create_backup_client("leak", REGION, None)
        .await
        .unwrap();
    t.wait_created(&c.vault_id).await;
    let vault_dir = t
        .dir
        .path()
        .join("regions")
        .join(REGION)
        .join("vaults")
        .join(&c.vault_id);
    let sk = backup(&t.client, &c.vault_id, &c.client_id, &[&keep]).await;
    let kept_index: Vec<_> = std::fs::read_dir(vault_dir.join("index"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let sl = backup(&t.client, &c.vault_id, &c.client_id, &[&lost]).await;
    std::fs::remove_file(vault_dir.join("snapshots").join(&sl)).unwrap();
    for e in std::fs::read_dir(vault_dir.join("index")).unwrap() {
        let p = e.unwrap().path();
        if !kept_index.contains(&p) {
            std::fs::remove_file(p).unwrap();
        }
    }
    // A restart reads the index as stored (and measures the vault).
    let t = t.restart().await;
    // (the start's reconcile measures it in the background)
    wait_until(
        Duration::from_secs(20),
        "the leak visible in StorageSize - StorageSizeReferenced",
        || async {
            let (total, referenced) = sizes(&t.client, &c.vault_id).await;
            total - referenced >= 3 << 20
        },
    )
    .await;
    let young = prune(&t.client, &c.vault_id, false).await;
    assert_eq!(young.packs_deleted, 0, "inside the grace period: {young:?}");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let old = prune(&t.client, &c.vault_id, false).await;
    assert!(
        old.packs_deleted >= 1 && old.bytes_freed >= 3 << 20,
        "{old:?}"
    );
    let (total, referenced) = sizes(&t.client, &c.vault_id).await;
    assert_eq!(total, referenced);
    assert!(total < 2 << 20, "{total}");
    assert_verifies(&t.client, &c.vault_id).await;
    assert_restores(&t.client, &c.vault_id, &sk, &keep, &tmp.path().join("r")).await;
}

/// After a snapshot was removed, the backend prunes the vault on its own (once), and prune
/// works on a mirror vault too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_prune_after_a_removal_and_prune_of_a_mirror() {
    let t = server_with("grace = \"0s\"\ninterval = \"1s\"").await;
    let tmp = tempfile::tempdir().unwrap();
    let (_, vault, s1, s2, two) = two_snapshots(&t, tmp.path()).await;
    let m = t
        .client
        .create_replication_vault(&vault, REGION, "cn-shanghai", "prune-dr", "")
        .await
        .unwrap();
    t.wait_created(&m.vault_id).await;
    let _ = t.client.sync_replication_vault_now(&m.vault_id).await;
    wait_until(
        Duration::from_secs(60),
        "the mirror holds both snapshots",
        || async {
            t.client
                .describe_snapshots(&m.vault_id)
                .await
                .unwrap()
                .snapshots
                .snapshot
                .len()
                == 2
                && t.client
                    .vault(&m.vault_id)
                    .await
                    .unwrap()
                    .unwrap()
                    .replication_status
                    == "IN_SYNC"
        },
    )
    .await;
    assert!(
        t.client
            .describe_prune_jobs(Some(&vault), None)
            .await
            .unwrap()
            .prune_jobs
            .prune_job
            .is_empty(),
        "no removal, no prune"
    );

    remove_snapshot(&t, &vault, &s1).await;
    let auto = crate::support::wait_for(Duration::from_secs(30), "an automatic prune", || async {
        t.client
            .describe_prune_jobs(Some(&vault), None)
            .await
            .unwrap()
            .prune_jobs
            .prune_job
            .into_iter()
            .find(|j| j.status == "COMPLETE")
    })
    .await;
    assert_eq!(auto.trigger_mode, "AUTO");
    assert!(auto.bytes_freed > 3 << 20, "{auto:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        t.client
            .describe_prune_jobs(Some(&vault), None)
            .await
            .unwrap()
            .page
            .total_count,
        1,
        "one removal, one prune"
    );
    assert_verifies(&t.client, &vault).await;
    assert_restores(&t.client, &vault, &s2, &two, &tmp.path().join("r")).await;

    // The mirror kept both copies; a prune there frees nothing they need.
    let mp = prune(&t.client, &m.vault_id, false).await;
    assert_eq!(mp.packs_deleted, 0, "{mp:?}");
    assert_verifies(&t.client, &m.vault_id).await;
    assert_restores(
        &t.client,
        &m.vault_id,
        &s1,
        &tmp.path().join("one"),
        &tmp.path().join("m1"),
    )
    .await;
}
