//! Backend foundation: the HBR dialect, vault and mirror rules, through the real server.
use std::collections::HashSet;
use std::time::Duration;

use crate::support::{code, wait_until, TestServer};

#[tokio::test]
async fn regions_are_built_in() {
    let t = TestServer::start().await;
    let r = t.client.describe_regions().await.unwrap();
    let ids: Vec<_> = r.regions.region.iter().map(|r| r.region_id.as_str()).collect();
    assert_eq!(ids, ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"]);
    assert!(r.regions.region.iter().all(|r| r.storage_location.starts_with("local:")));
}

#[tokio::test]
async fn vault_lifecycle_and_fields() {
    let t = TestServer::start().await;
    let created = t.client.create_vault("cn-hangzhou", "finance", "ledgers").await.unwrap();
    assert!(created.vault_id.starts_with("v-"));
    t.wait_created(&created.vault_id).await;
    let task = t.client.describe_task(&created.task_id).await.unwrap();
    assert_eq!(task.task.status, "finished");
    let v = t.client.vault(&created.vault_id).await.unwrap().unwrap();
    assert_eq!(v.vault_name, "finance");
    assert_eq!(v.vault_region_id, "cn-hangzhou");
    assert_eq!(v.encrypt_type, "HBR_PRIVATE");
    assert!(!v.replication && !v.replication_source_vault);
    // its data lives in its own region's location
    assert!(t.dir.path().join("regions/cn-hangzhou/vaults").join(&created.vault_id).exists());

    t.client.update_vault(&created.vault_id, Some("finance-2"), Some("new"), None).await.unwrap();
    let v = t.client.vault(&created.vault_id).await.unwrap().unwrap();
    assert_eq!((v.vault_name.as_str(), v.description.as_str()), ("finance-2", "new"));

    t.client.delete_vault(&created.vault_id).await.unwrap();
    assert!(t.client.vault(&created.vault_id).await.unwrap().is_none());
    assert!(!t.dir.path().join("regions/cn-hangzhou/vaults").join(&created.vault_id).exists());
    let e = t.client.delete_vault(&created.vault_id).await.unwrap_err();
    assert_eq!(code(&e), ("VaultNotFound", 404));
}

#[tokio::test]
async fn parameters_are_validated() {
    let t = TestServer::start().await;
    let e = t.client.create_vault("mars-1", "x", "").await.unwrap_err();
    assert_eq!(code(&e), ("InvalidRegionId.NotFound", 404));
    let e = t.client.create_vault("cn-hangzhou", "", "").await.unwrap_err();
    assert_eq!(code(&e).1, 400);
    let e = t.client.create_vault("cn-hangzhou", &"n".repeat(65), "").await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
    t.client.create_vault("cn-hangzhou", &"n".repeat(64), "").await.unwrap();
    let e = t.client.create_vault("cn-hangzhou", "ok", &"d".repeat(256)).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
    let e = t.client.call::<serde_json::Value>("NoSuchAction", &[]).await.unwrap_err();
    assert_eq!(code(&e).1, 400);
    let e = t.client.call::<serde_json::Value>("DescribeVaults", &[("PageSize", "abc".into())]).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
    // a huge page number is an empty page for every list action, never a crash
    let huge = [("PageNumber", i64::MAX.to_string()), ("PageSize", "1000".to_string())];
    for action in ["DescribeVaults", "DescribeBackupClients", "DescribeSqlServerInstances", "DescribeBackupJobs2", "DescribeReplicationHistory"] {
        let r = t.client.call::<serde_json::Value>(action, &huge).await;
        assert!(!matches!(r, Err(mirrorvault::client::ClientError::Http(_))), "{action}: {r:?}");
    }
    let v = t.vault("cn-beijing", "paged").await;
    let r: serde_json::Value = t.client.call("DescribeSnapshots", &[("VaultId", v.clone()), huge[0].clone(), huge[1].clone()]).await.unwrap();
    assert_eq!(r["Snapshots"]["Snapshot"].as_array().map(|a| a.len()), Some(0));
    let r: serde_json::Value = t.client.call("DescribeSqlServerSnapshots", &[("VaultId", v), huge[0].clone(), huge[1].clone()]).await.unwrap();
    assert_eq!(r["Snapshots"]["Snapshot"].as_array().map(|a| a.len()), Some(0));
}

#[tokio::test]
async fn mirror_rules() {
    let t = TestServer::start().await;
    let src = t.vault("cn-hangzhou", "src").await;

    // same region refused
    let e = t.client.create_replication_vault(&src, "cn-hangzhou", "cn-hangzhou", "m", "").await.unwrap_err();
    assert_eq!(code(&e), ("InvalidReplicationRegion", 400));
    // the regions offered exclude the source's
    let regions = t.client.describe_vault_replication_regions(&src).await.unwrap().regions.region_id;
    assert!(!regions.contains(&"cn-hangzhou".to_string()));
    assert_eq!(regions.len(), 3);

    let m = t.client.create_replication_vault(&src, "cn-hangzhou", "cn-shanghai", "src-dr", "mirror").await.unwrap();
    let initial = t.client.vault(&m.vault_id).await.unwrap().unwrap();
    assert!(initial.replication);
    t.wait_created(&m.vault_id).await;
    let task = t.client.describe_task(&m.task_id).await.unwrap().task;
    assert_eq!(task.status, "finished");

    let mirror = t.client.vault(&m.vault_id).await.unwrap().unwrap();
    assert!(mirror.replication);
    assert_eq!(mirror.replication_source_vault_id, src);
    assert_eq!(mirror.replication_source_region_id, "cn-hangzhou");
    assert_eq!(mirror.replication_source_vault_name, "src");
    assert_eq!(mirror.vault_region_id, "cn-shanghai");
    assert_eq!(mirror.encrypt_type, "HBR_PRIVATE");
    // nothing to copy: historical progress is 100 at once
    assert_eq!(mirror.replication_progress.historical_replication_progress, 100);
    assert!(mirror.historical_replication_start_time > 0);
    let source = t.client.vault(&src).await.unwrap().unwrap();
    assert!(source.replication_source_vault);
    assert_eq!(source.replication_target_vault_id, m.vault_id);
    assert_eq!(source.replication_target_region_id, "cn-shanghai");
    assert!(t.dir.path().join("regions/cn-shanghai/vaults").join(&m.vault_id).exists());
    assert!(!t.dir.path().join("regions/cn-hangzhou/vaults").join(&m.vault_id).exists());

    // second mirror refused
    let e = t.client.create_replication_vault(&src, "cn-hangzhou", "cn-beijing", "again", "").await.unwrap_err();
    assert_eq!(code(&e), ("ReplicationVaultAlreadyExists", 409));
    // a mirror cannot have a mirror
    let e = t.client.create_replication_vault(&m.vault_id, "cn-shanghai", "cn-beijing", "chain", "").await.unwrap_err();
    assert_eq!(code(&e), ("ReplicationSourceIsMirror", 409));
    // no backup client on a mirror
    let e = t.client.create_backup_client("c", "cn-shanghai", Some(&m.vault_id)).await.unwrap_err();
    assert_eq!(code(&e), ("CannotBackupToMirrorVault", 409));
    // source first: refused
    let e = t.client.delete_vault(&src).await.unwrap_err();
    assert_eq!(code(&e), ("CannotDeleteReplicationSourceVault", 409));
    // mirror first, then the source
    t.client.delete_vault(&m.vault_id).await.unwrap();
    assert!(!t.dir.path().join("regions/cn-shanghai/vaults").join(&m.vault_id).exists());
    t.client.delete_vault(&src).await.unwrap();
}

#[tokio::test]
async fn fifty_concurrent_mirrors_make_one() {
    let t = TestServer::start().await;
    let src = t.vault("cn-hangzhou", "raced").await;
    let mut handles = Vec::new();
    for i in 0..50 {
        let c = t.client.clone();
        let src = src.clone();
        let region = ["cn-shanghai", "cn-beijing", "ap-southeast-1"][i % 3];
        handles.push(tokio::spawn(async move { c.create_replication_vault(&src, "cn-hangzhou", region, &format!("m{i}"), "").await }));
    }
    let mut ok = 0;
    let mut conflicts = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(code(&e), ("ReplicationVaultAlreadyExists", 409));
                conflicts += 1;
            }
        }
    }
    assert_eq!((ok, conflicts), (1, 49));
    let mirrors: Vec<_> = t.client.all_vaults().await.unwrap().into_iter().filter(|v| v.replication).collect();
    assert_eq!(mirrors.len(), 1);
}

#[tokio::test]
async fn delete_racing_create_mirror_is_consistent() {
    let t = TestServer::start().await;
    for round in 0..5 {
        let src = t.vault("cn-hangzhou", &format!("r{round}")).await;
        let (c1, c2) = (t.client.clone(), t.client.clone());
        let (s1, s2) = (src.clone(), src.clone());
        let a = tokio::spawn(async move { c1.delete_vault(&s1).await });
        let b = tokio::spawn(async move { c2.create_replication_vault(&s2, "cn-hangzhou", "cn-beijing", "m", "").await });
        let (deleted, mirrored) = (a.await.unwrap(), b.await.unwrap());
        assert!(!(deleted.is_ok() && mirrored.is_ok()), "both succeeded: a mirror without a source");
        let all = t.client.all_vaults().await.unwrap();
        let ids: HashSet<_> = all.iter().map(|v| v.vault_id.clone()).collect();
        for v in all.iter().filter(|v| v.replication) {
            assert!(ids.contains(&v.replication_source_vault_id), "orphan mirror {}", v.vault_id);
        }
    }
}

#[tokio::test]
async fn backup_clients_create_their_source_vault() {
    let t = TestServer::start().await;
    let c = t.client.create_backup_client("fileserver", "cn-beijing", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let v = t.client.vault(&c.vault_id).await.unwrap().unwrap();
    assert_eq!(v.vault_region_id, "cn-beijing");
    assert_eq!(v.backup_client_names, vec!["fileserver".to_string()]);
    let list = t.client.describe_backup_clients(None).await.unwrap();
    assert_eq!(list.backup_clients.backup_client.len(), 1);
    // a vault with clients cannot be deleted
    let e = t.client.delete_vault(&c.vault_id).await.unwrap_err();
    assert_eq!(code(&e), ("VaultHasBackupClients", 409));
    t.client.delete_backup_client(&c.client_id).await.unwrap();
    t.client.delete_vault(&c.vault_id).await.unwrap();
    let e = t.client.delete_backup_client(&c.client_id).await.unwrap_err();
    assert_eq!(code(&e), ("ClientNotFound", 404));
}

#[tokio::test]
async fn two_step_replication_form() {
    let t = TestServer::start().await;
    let src = t.vault("cn-hangzhou", "two-step").await;
    let target = t.client.call::<serde_json::Value>(
        "CreateVault",
        &[("VaultRegionId", "cn-beijing".into()), ("VaultName", "target".into()), ("Replication", "true".into())],
    ).await.unwrap();
    let target_id = target["VaultId"].as_str().unwrap().to_string();
    t.wait_created(&target_id).await;
    let params = |t: &str| vec![("ReplicationSourceVaultId", src.clone()), ("ReplicationSourceRegionId", "cn-hangzhou".to_string()), ("ReplicationTargetVaultId", t.to_string())];
    t.client.call::<serde_json::Value>("CreateVaultReplication", &params(&target_id)).await.unwrap();
    t.wait_created(&target_id).await;
    let v = t.client.vault(&target_id).await.unwrap().unwrap();
    assert_eq!(v.replication_source_vault_id, src);
    let e = t.client.delete_vault(&src).await.unwrap_err();
    assert_eq!(code(&e).0, "CannotDeleteReplicationSourceVault");
    t.client.call::<serde_json::Value>("DeleteVaultReplication", &params(&target_id)).await.unwrap();
    let v = t.client.vault(&target_id).await.unwrap().unwrap();
    assert!(v.replication_source_vault_id.is_empty());
    t.client.delete_vault(&src).await.unwrap();
    t.client.delete_vault(&target_id).await.unwrap();
}

#[tokio::test]
async fn catalog_survives_restart() {
    let t = TestServer::start().await;
    let src = t.vault("cn-hangzhou", "persist").await;
    let t = t.restart().await;
    wait_until(Duration::from_secs(5), "the vault after the restart", || async { t.client.vault(&src).await.ok().flatten().is_some() }).await;
}
