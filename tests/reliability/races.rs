//! Reliability, scenario 7 (races), beyond `api_vaults.rs` (which already races 50
//! CreateReplicationVault calls on one source, and DeleteVault against CreateReplicationVault):
//! concurrent backups into one vault — two clients, and one client twice — all complete, verify
//! clean and restore byte for byte; and DeleteVault racing a backup never leaves a job on a
//! vanished vault RUNNING or a half-deleted vault.
use std::time::Duration;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_backups_into_one_vault_all_complete_and_restore() {
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    let (a, b) = (src.path().join("a"), src.path().join("b"));
    make_tree(&a, 1, 30);
    make_tree(&b, 2, 30);
    // shared content between the two trees, so both jobs write the same chunks at once
    std::fs::copy(a.join("big.dat"), b.join("shared-big.dat")).unwrap();
    let c1 = t.client.create_backup_client("one", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c1.vault_id).await;
    let c2 = t.client.create_backup_client("two", "cn-hangzhou", Some(&c1.vault_id)).await.unwrap();
    assert_eq!(c2.vault_id, c1.vault_id);
    let vault = c1.vault_id.clone();
    // two clients, plus the first client a second time, all at once
    let starts = [(c1.client_id.clone(), a.clone()), (c2.client_id.clone(), b.clone()), (c1.client_id.clone(), a.clone())];
    let mut handles = Vec::new();
    for (client, path) in starts.iter().cloned() {
        let (cl, vault) = (t.client.clone(), vault.clone());
        handles.push(tokio::spawn(async move { cl.create_backup_job(&vault, &client, &[path.display().to_string()], &[]).await.unwrap().job_id }));
    }
    let mut snaps = Vec::new();
    for (h, (_, path)) in handles.into_iter().zip(starts.iter()) {
        let job = h.await.unwrap();
        let j = wait_backup(&t.client, &job).await;
        assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
        snaps.push((j.snapshot_id, path.clone()));
    }
    let listed = t.client.describe_snapshots(&vault).await.unwrap().snapshots.snapshot;
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(t.client.vault(&vault).await.unwrap().unwrap().snapshot_count, 3);
    let vj = t.client.create_verify_job(&vault, None, true).await.unwrap();
    let v = wait_verify(&t.client, &vj.job_id).await;
    assert!(v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty() && v.damaged_files.is_empty(), "{v:?}");
    // also from a fresh open of the vault (index re-read from the location)
    let t = t.restart().await;
    let out = tempfile::tempdir().unwrap();
    for (i, (s, path)) in snaps.iter().enumerate() {
        let target = out.path().join(format!("r{i}"));
        let r = t.client.create_restore_job(&vault, s, &target.display().to_string(), &[], false).await.unwrap();
        let j = wait_restore(&t.client, &r.restore_id).await;
        assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
        assert_trees_equal_content_mode_mtime(path, &target.join(path.strip_prefix("/").unwrap()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_vault_racing_a_backup_is_consistent() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 4, 10);
    for round in 0..10 {
        let v = t.vault("cn-shanghai", &format!("race-{round}")).await;
        let c = t.client.create_backup_client("racer", "cn-shanghai", Some(&v)).await.unwrap();
        // the client must go before the vault can; race its deletion + the vault's with a backup
        let (cl1, cl2) = (t.client.clone(), t.client.clone());
        let (v1, c1) = (v.clone(), c.client_id.clone());
        let path = src.path().display().to_string();
        let backup = tokio::spawn(async move { cl1.create_backup_job(&v1, &c1, &[path], &[]).await });
        let (v2, c2) = (v.clone(), c.client_id.clone());
        let delete = tokio::spawn(async move {
            let _ = cl2.delete_backup_client(&c2).await;
            cl2.delete_vault(&v2).await
        });
        let (b, d) = (backup.await.unwrap(), delete.await.unwrap());
        if let Ok(job) = &b {
            let j = wait_backup(&t.client, &job.job_id).await;
            assert!(["COMPLETE", "FAILED"].contains(&j.job.status.as_str()), "{j:?}");
        }
        let exists = t.client.vault(&v).await.unwrap();
        let dir = t.dir.path().join("regions/cn-shanghai/vaults").join(&v);
        match d {
            Ok(_) => {
                assert!(exists.is_none(), "round {round}: deleted vault still listed");
                wait_until(Duration::from_secs(10), "the deleted vault's data to go", || async { !dir.join("config").exists() }).await;
            }
            Err(e) => {
                assert!(e.code().is_some(), "round {round}: {e}");
                let v = exists.expect("a refused delete keeps the vault");
                assert_eq!(v.status, "CREATED");
                assert!(dir.join("config").exists(), "round {round}: the vault's data was removed although it still exists");
            }
        }
    }
    // nothing left running
    let jobs = t.client.describe_backup_jobs(None, None).await.unwrap().backup_jobs.backup_job;
    assert!(jobs.iter().all(|j| j.job.status != "RUNNING"), "{jobs:?}");
}
