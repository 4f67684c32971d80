//! Encryption at rest through the real server and the CLI: nothing readable in a location,
//! KMS vaults, mirrors inherit encryption, recovery from a location plus the exported master key.
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::*;

/// The bytes and the path of every file under `dir`, one after the other.
fn all_bytes_under(dir: &Path, out: &mut Vec<u8>) {
    for p in files_under(dir) {
        out.extend(std::fs::read(&p).unwrap());
        out.extend(p.to_string_lossy().as_bytes());
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mirrorvault"))
}

#[tokio::test]
async fn locations_reveal_nothing_and_kms_and_mirrors_follow_the_rules() {
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    let marker = format!("MARKER-{}", uuid::Uuid::new_v4().simple());
    std::fs::write(src.path().join(format!("{marker}.txt")), format!("secret payroll line {marker}\n").repeat(2000)).unwrap();
    let c = t.client.create_backup_client("payroll", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-shanghai", "payroll-dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    t.client.sync_replication_vault_now(&m.vault_id).await.unwrap();
    wait_until(Duration::from_secs(30), "the snapshot in the mirror", || async { t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.len() == 1 }).await;
    let mut bytes = Vec::new();
    all_bytes_under(&t.dir.path().join("regions"), &mut bytes);
    assert!(bytes.len() > 1_000);
    assert!(!bytes.windows(marker.len()).any(|w| w == marker.as_bytes()), "the marker is readable in a storage location");
    assert!(!bytes.windows(7).any(|w| w == b"payroll"), "file names or contents leak");

    // KMS: a key from the backend's key store
    let key_store = mirrorvault::backend::storage::KeyStore::open(
        &t.dir.path().join("kms"),
        mirrorvault::backend::storage::MasterKey::load(&t.dir.path().join("master.key")).unwrap(),
    )
    .unwrap();
    key_store.generate("finance-key").unwrap();
    let v: serde_json::Value = t.client.call("CreateVault", &[("VaultRegionId", "cn-beijing".into()), ("VaultName", "kms-vault".into()), ("EncryptType", "KMS".into()), ("KmsKeyId", "finance-key".into())]).await.unwrap();
    let kms_vault = v["VaultId"].as_str().unwrap().to_string();
    t.wait_created(&kms_vault).await;
    let kv = t.client.vault(&kms_vault).await.unwrap().unwrap();
    assert_eq!((kv.encrypt_type.as_str(), kv.kms_key_id.as_str()), ("KMS", "finance-key"));
    let e = t.client.call::<serde_json::Value>("CreateVault", &[("VaultRegionId", "cn-beijing".into()), ("VaultName", "x".into()), ("EncryptType", "KMS".into()), ("KmsKeyId", "nope".into())]).await.unwrap_err();
    assert_eq!(e.code(), Some("KmsKeyNotFound"));
    // a mirror has its source's encryption type; asking for another is refused
    let e = t.client.call::<serde_json::Value>("CreateReplicationVault", &[
        ("ReplicationSourceVaultId", kms_vault.clone()), ("VaultRegionId", "cn-hangzhou".into()), ("VaultName", "m".into()), ("EncryptType", "HBR_PRIVATE".into()),
    ]).await.unwrap_err();
    assert_eq!(e.code(), Some("EncryptTypeMismatch"));
    let km = t.client.create_replication_vault(&kms_vault, "cn-beijing", "cn-hangzhou", "kms-dr", "").await.unwrap();
    t.wait_created(&km.vault_id).await;
    let kmv = t.client.vault(&km.vault_id).await.unwrap().unwrap();
    assert_eq!((kmv.encrypt_type.as_str(), kmv.kms_key_id.as_str()), ("KMS", "finance-key"));
    // no key material in any response
    let listed = serde_json::to_string(&t.client.all_vaults().await.unwrap()).unwrap();
    assert!(!listed.to_lowercase().contains("datakey") && !listed.contains("wrapped"));
}

#[tokio::test]
async fn vault_recovers_from_its_location_and_the_exported_master_key() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 21, 20);
    let c = t.client.create_backup_client("lost-catalog", "cn-shanghai", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let snap = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    let old_dir = t.dir.path().to_path_buf();
    let exported = tempfile::tempdir().unwrap();
    let key_file = exported.path().join("master.key.backup");
    let out = bin().args(["key", "export", "--data-dir"]).arg(&old_dir).arg("--out").arg(&key_file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    t.server.unwrap().shutdown().await;

    // a new machine: only the region's location survives, plus the exported key
    let new_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(new_dir.path().join("regions")).unwrap();
    std::fs::rename(old_dir.join("regions/cn-shanghai"), new_dir.path().join("regions/cn-shanghai")).unwrap();
    drop(t.dir);

    // the wrong key: a clear error, no data
    let wrong = tempfile::tempdir().unwrap();
    std::fs::write(wrong.path().join("k"), mirrorvault::backend::storage::MasterKey::generate().export_string()).unwrap();
    let target = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["vault", "restore", "--location"]).arg(new_dir.path().join("regions/cn-shanghai"))
        .args(["--vault-id", &c.vault_id, "--target"]).arg(target.path())
        .arg("--key-file").arg(wrong.path().join("k"))
        .output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).to_lowercase().contains("key"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_dir(target.path()).unwrap().count(), 0, "no partial data");

    // import the key, start the backend: the vault is recovered from its location
    let out = bin().args(["key", "import"]).arg(&key_file).arg("--data-dir").arg(new_dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t2 = TestServer::start_in(new_dir, Duration::from_secs(3600)).await;
    wait_until(Duration::from_secs(20), "the vault recovered from its location", || async { t2.client.describe_snapshots(&c.vault_id).await.map(|r| r.snapshots.snapshot.len() == 1).unwrap_or(false) }).await;
    let v = t2.client.vault(&c.vault_id).await.unwrap().unwrap();
    assert_eq!(v.status, "CREATED");
    let out_dir = tempfile::tempdir().unwrap();
    let r = t2.client.create_restore_job(&c.vault_id, &snap, &out_dir.path().display().to_string(), &[], false).await.unwrap();
    let j = wait_restore(&t2.client, &r.restore_id).await;
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    assert_trees_equal_content_mode_mtime(src.path(), &out_dir.path().join(src.path().strip_prefix("/").unwrap()));

    // and the CLI restores straight from the location too
    let cli_target = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["vault", "restore", "--location"]).arg(t2.dir.path().join("regions/cn-shanghai"))
        .args(["--vault-id", &c.vault_id, "--target"]).arg(cli_target.path())
        .arg("--data-dir").arg(t2.dir.path())
        .output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_trees_equal_content_mode_mtime(src.path(), &cli_target.path().join(src.path().strip_prefix("/").unwrap()));
}
