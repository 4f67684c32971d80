//! Backup -> restore round trips from real temp dirs, into every location kind.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use filetime::FileTime;
use mirrorvault::backend::storage::*;

use crate::support::fixtures::{random_bytes, text_bytes, write};
use crate::support::store::{new_repo, progress, req, restore_req, Kind, Locations};
use crate::support::tree::{assert_trees_equal_content_mode_mtime, occurs_under, rerooted};

location_suite!(
    full_roundtrip_with_excludes_and_encryption,
    incremental_chain_stores_only_new_chunks,
    small_file_edit_stores_about_the_change,
    sparse_file_roundtrip,
    restore_target_rules_and_subset,
    wrong_master_key_and_self_describing_open,
    crash_before_manifest_leaves_no_snapshot_and_data_is_reused,
    offline_location_and_vault_admin,
);

/// Asserts the restore of `src` under `target` equals `src` (the storage tests' old
/// `assert_restored(src, target)`).
fn assert_restored(src: &Path, target: &Path) {
    assert_trees_equal_content_mode_mtime(src, &rerooted(target, src));
}

const MARKER: &str = "ZQX-marker-7f3a9c1e-secret";

fn build_tree(src: &Path) {
    write(&src.join("empty.txt"), b"");
    write(&src.join("small.txt"), b"hello world\n");
    write(&src.join("docs/text.txt"), &text_bytes(5 << 20, 1));
    write(&src.join("docs/random.bin"), &random_bytes(3 << 20, 2));
    let mut with_marker = text_bytes(200_000, 3);
    with_marker.extend_from_slice(MARKER.as_bytes());
    write(&src.join("docs/secret.txt"), &with_marker);
    write(&src.join(format!("docs/{MARKER}.name")), b"named");
    for i in 0..300 {
        write(&src.join(format!("many/d{}/f{i}.txt", i % 7)), format!("file number {i}\n").as_bytes());
    }
    let bad_name = OsStr::from_bytes(b"caf\xe9-\xff\xfe.bin");
    write(&src.join("weird").join(bad_name), &random_bytes(1000, 4));
    fs::create_dir_all(src.join("empty_dir")).unwrap();
    std::os::unix::fs::symlink("docs/text.txt", src.join("link_rel")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/target", src.join("link_dangling")).unwrap();
    write(&src.join("skip/me.tmp"), b"excluded");
    write(&src.join("exec.sh"), b"#!/bin/sh\necho hi\n");
    fs::set_permissions(src.join("exec.sh"), fs::Permissions::from_mode(0o750)).unwrap();
    fs::set_permissions(src.join("small.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    filetime::set_file_mtime(src.join("small.txt"), FileTime::from_unix_time(1_500_000_000, 123_456_789)).unwrap();
    filetime::set_file_mtime(src.join("empty_dir"), FileTime::from_unix_time(1_400_000_000, 0)).unwrap();
}

async fn full_roundtrip_with_excludes_and_encryption(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir, target) = (tmp.path().join("src"), locs.location("loc"), tmp.path().join("restore"));
    build_tree(&src);
    let master = MasterKey::generate();
    let loc = locdir.open();
    let repo = new_repo(&loc, "vault-a", &master).await;
    let mut r = req("snap-1", &[&src]);
    r.excludes = vec!["**/skip".into(), "**/*.tmp".into()];
    let m = repo.backup(r, progress()).await.unwrap();
    assert_eq!(m.vault_id, "vault-a");
    assert!(m.bytes_added > 0 && m.items_total > 300);

    let snaps = repo.list_snapshots().await.unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].meta, serde_json::json!({"k": "v"}));

    // Exclusion: drop the excluded dir from the source before comparing.
    fs::remove_dir_all(src.join("skip")).unwrap();
    filetime::set_file_mtime(&src, FileTime::from_last_modification_time(&fs::metadata(&src).unwrap())).unwrap();
    let stats = repo.restore(restore_req("snap-1", &target), progress()).await.unwrap();
    assert!(stats.failed_files.is_empty(), "{:?}", stats.failed_files);
    assert!(stats.files_restored > 300);
    assert!(!rerooted(&target, &src.join("skip")).exists());
    // Directory mtime of src changed by the removal; compare everything below it.
    for name in ["docs", "many", "weird", "empty_dir", "link_rel", "link_dangling", "exec.sh", "small.txt", "empty.txt"] {
        assert_restored(&src.join(name), &target);
    }
    assert!(!occurs_under(locdir.written(), MARKER.as_bytes()), "marker found in location");
}

async fn incremental_chain_stores_only_new_chunks(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir) = (tmp.path().join("src"), locs.location("loc"));
    for i in 0..4 {
        write(&src.join(format!("big{i}.bin")), &random_bytes(6 << 20, 10 + i));
    }
    let master = MasterKey::generate();
    let loc = locdir.open();
    let repo = new_repo(&loc, "v1", &master).await;
    let m1 = repo.backup(req("s1", &[&src]), progress()).await.unwrap();
    assert!(m1.bytes_added >= 24 << 20);

    // Append to one file, add a small one.
    let mut f = random_bytes(6 << 20, 10);
    f.extend_from_slice(&random_bytes(100_000, 99));
    write(&src.join("big0.bin"), &f);
    write(&src.join("new.txt"), b"new file");
    let mut r2 = req("s2", &[&src]);
    r2.parent_snapshot_id = Some("s1".into());
    let m2 = repo.backup(r2, progress()).await.unwrap();
    assert!(m2.bytes_added < (9 << 20), "bytes_added {}", m2.bytes_added);
    assert_eq!(m2.parent_snapshot_id.as_deref(), Some("s1"));

    // Nothing changed: almost nothing added.
    let mut r3 = req("s3", &[&src]);
    r3.parent_snapshot_id = Some("s2".into());
    let m3 = repo.backup(r3, progress()).await.unwrap();
    assert!(m3.bytes_added < 64 * 1024, "bytes_added {}", m3.bytes_added);

    let target = tmp.path().join("r3");
    repo.restore(restore_req("s3", &target), progress()).await.unwrap();
    assert_restored(&src, &target);
    let target1 = tmp.path().join("r1");
    repo.restore(restore_req("s1", &target1), progress()).await.unwrap();
    assert_eq!(fs::read(rerooted(&target1, &src.join("big0.bin"))).unwrap(), random_bytes(6 << 20, 10));
    let ids: Vec<String> = repo.list_snapshots().await.unwrap().into_iter().map(|m| m.snapshot_id).collect();
    assert_eq!(ids, vec!["s1", "s2", "s3"]);
}

/// Small files (under 1 MiB) are cut finely: an edit in the middle of one, or an append to it,
/// stores the chunks around the change, not the whole file again; both restore exactly.
async fn small_file_edit_stores_about_the_change(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir) = (tmp.path().join("src"), locs.location("loc"));
    let original = random_bytes(600_000, 31);
    write(&src.join("db.bin"), &original);
    write(&src.join("log.bin"), &random_bytes(300_000, 32));
    let repo = new_repo(&locdir.open(), "v1", &MasterKey::generate()).await;
    repo.backup(req("s1", &[&src]), progress()).await.unwrap();

    let mut edited = original.clone();
    edited[300_000..304_096].copy_from_slice(&random_bytes(4096, 33));
    write(&src.join("db.bin"), &edited);
    let mut log = random_bytes(300_000, 32);
    log.extend_from_slice(&random_bytes(2000, 34));
    write(&src.join("log.bin"), &log);
    let mut r2 = req("s2", &[&src]);
    r2.parent_snapshot_id = Some("s1".into());
    let m2 = repo.backup(r2, progress()).await.unwrap();
    // 6 KiB changed; whole files would be 900 KB. Chunks average 8 KiB (max 32 KiB).
    assert!(m2.bytes_added < 100_000, "bytes_added {}", m2.bytes_added);

    let target = tmp.path().join("r2");
    repo.restore(restore_req("s2", &target), progress()).await.unwrap();
    assert_restored(&src, &target);
    let target1 = tmp.path().join("r1");
    repo.restore(restore_req("s1", &target1), progress()).await.unwrap();
    assert_eq!(fs::read(rerooted(&target1, &src.join("db.bin"))).unwrap(), original);
}

async fn sparse_file_roundtrip(kind: Kind) {
    let size: u64 = if std::env::var("MIRRORVAULT_BIG_TEST").is_ok() { 1 << 30 } else { 256 << 20 };
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir, target) = (tmp.path().join("src"), locs.location("loc"), tmp.path().join("restore"));
    fs::create_dir_all(&src).unwrap();
    let path = src.join("sparse.img");
    {
        use std::os::unix::fs::FileExt;
        let f = fs::File::create(&path).unwrap();
        f.set_len(size).unwrap();
        f.write_all_at(b"data in the middle", size / 2).unwrap();
        f.write_all_at(&random_bytes(4096, 5), 4096).unwrap();
    }
    let loc = locdir.open();
    let repo = new_repo(&loc, "v1", &MasterKey::generate()).await;
    let m = repo.backup(req("s1", &[&src]), progress()).await.unwrap();
    assert!(m.bytes_added < (1 << 20), "bytes_added {}", m.bytes_added);
    repo.restore(restore_req("s1", &target), progress()).await.unwrap();
    assert_restored(&src, &target);
    let restored = fs::metadata(rerooted(&target, &path)).unwrap();
    assert!(restored.blocks() * 512 < (64 << 20), "restored file is not sparse: {} blocks", restored.blocks());
}

async fn restore_target_rules_and_subset(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir) = (tmp.path().join("src"), locs.location("loc"));
    write(&src.join("a/one.txt"), b"one");
    write(&src.join("b/two.txt"), b"two");
    let repo = new_repo(&locdir.open(), "v1", &MasterKey::generate()).await;
    repo.backup(req("s1", &[&src]), progress()).await.unwrap();

    let err = repo.restore(restore_req("s1", Path::new("relative/dir")), progress()).await.unwrap_err();
    assert!(matches!(err, StorageError::InvalidPath(_)), "{err}");
    let err = repo.restore(restore_req("s1", &tmp.path().join("x/../y")), progress()).await.unwrap_err();
    assert!(matches!(err, StorageError::InvalidPath(_)), "{err}");

    // Existing file without overwrite: refused before anything is written.
    let target = tmp.path().join("t");
    write(&rerooted(&target, &src.join("b/two.txt")), b"old");
    let err = repo.restore(restore_req("s1", &target), progress()).await.unwrap_err();
    assert!(matches!(err, StorageError::Exists(_)), "{err}");
    assert!(!rerooted(&target, &src.join("a/one.txt")).exists());
    let mut r = restore_req("s1", &target);
    r.overwrite = true;
    repo.restore(r, progress()).await.unwrap();
    assert_eq!(fs::read(rerooted(&target, &src.join("b/two.txt"))).unwrap(), b"two");

    // Subset.
    let t2 = tmp.path().join("t2");
    let mut r = restore_req("s1", &t2);
    r.include = vec![src.join("a").to_string_lossy().into_owned()];
    let stats = repo.restore(r, progress()).await.unwrap();
    assert_eq!(stats.files_restored, 1);
    assert!(rerooted(&t2, &src.join("a/one.txt")).exists());
    assert!(!rerooted(&t2, &src.join("b/two.txt")).exists());
}

async fn wrong_master_key_and_self_describing_open(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir) = (tmp.path().join("src"), locs.location("loc"));
    write(&src.join("f.txt"), &text_bytes(100_000, 7));
    let keyfile = tmp.path().join("master.key");
    let master = MasterKey::load_or_create(&keyfile).unwrap();
    assert_eq!(fs::metadata(&keyfile).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(format!("{master:?}"), "MasterKey(***)");
    {
        let repo = new_repo(&locdir.open(), "v1", &master).await;
        repo.backup(req("s1", &[&src]), progress()).await.unwrap();
        let err = Repo::create(&locdir.open(), "v1", &master, DataKey::generate(), "HBR_PRIVATE", None).await.err().unwrap();
        assert!(matches!(err, StorageError::Exists(_)), "{err}");
    }
    let err = Repo::open(&locdir.open(), "v1", &MasterKey::generate()).await.err().unwrap();
    assert!(matches!(err, StorageError::Crypto { .. }), "{err}");

    // Only the location dir and the exported master key survive.
    let exported = master.export_string();
    let master2 = MasterKey::from_export_string(&exported).unwrap();
    let loc = locdir.open();
    assert_eq!(loc.list_vaults().await.unwrap(), vec!["v1"]);
    let repo = Repo::open(&loc, "v1", &master2).await.unwrap();
    assert_eq!(repo.encrypt_type(), "HBR_PRIVATE");
    let snaps = repo.list_snapshots().await.unwrap();
    assert_eq!(snaps.len(), 1);
    let target = tmp.path().join("t");
    repo.restore(restore_req(&snaps[0].snapshot_id, &target), progress()).await.unwrap();
    assert_restored(&src, &target);
}

async fn crash_before_manifest_leaves_no_snapshot_and_data_is_reused(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir) = (tmp.path().join("src"), locs.location("loc"));
    write(&src.join("a.bin"), &random_bytes(20 << 20, 1));
    let master = MasterKey::generate();
    let repo = new_repo(&locdir.open(), "v1", &master).await;
    repo.backup(req("s1", &[&src]), progress()).await.unwrap();
    // Simulate a crash before step 3: the manifest never got written.
    fs::remove_file(locdir.dir().join("vaults/v1/snapshots/s1")).unwrap();
    let repo = Repo::open(&locdir.open(), "v1", &master).await.unwrap();
    assert!(repo.list_snapshots().await.unwrap().is_empty());
    let m = repo.backup(req("s2", &[&src]), progress()).await.unwrap();
    assert!(m.bytes_added < 64 * 1024, "bytes_added {}", m.bytes_added);

    // A canceled backup never shows up.
    write(&src.join("b.bin"), &random_bytes(30 << 20, 2));
    let p = progress();
    p.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = repo.backup(req("s3", &[&src]), p).await.unwrap_err();
    assert!(matches!(err, StorageError::Canceled), "{err}");
    let ids: Vec<String> = repo.list_snapshots().await.unwrap().into_iter().map(|m| m.snapshot_id).collect();
    assert_eq!(ids, vec!["s2"]);
}

async fn offline_location_and_vault_admin(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let loc = locs.location("loc").open();
    assert!(loc.describe().starts_with(kind.describe_prefix()), "{}", loc.describe());
    loc.check().await.unwrap();
    let master = MasterKey::generate();
    let repo = new_repo(&loc, "v1", &master).await;
    new_repo(&loc, "v2", &master).await;
    assert_eq!(loc.list_vaults().await.unwrap(), vec!["v1", "v2"]);
    assert!(repo.storage_size().await.unwrap() > 0);
    loc.set_offline(true);
    assert!(loc.is_offline());
    assert!(matches!(loc.check().await, Err(StorageError::Unavailable(_))));
    assert!(matches!(repo.list_snapshots().await, Err(StorageError::Unavailable(_))));
    loc.set_offline(false);
    loc.delete_vault("v2").await.unwrap();
    assert_eq!(loc.list_vaults().await.unwrap(), vec!["v1"]);
}

#[test]
fn key_store_wraps_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let master = MasterKey::generate();
    let ks = KeyStore::open(&tmp.path().join("kms"), master.clone()).unwrap();
    ks.generate("key-1").unwrap();
    ks.import("key-2", &"ab".repeat(32)).unwrap();
    assert!(matches!(ks.generate("key-1"), Err(StorageError::Exists(_))));
    assert_eq!(ks.list().unwrap(), vec!["key-1", "key-2"]);
    let raw = fs::read(tmp.path().join("kms/key-2.key")).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains(&"ab".repeat(32)));
    assert_eq!(fs::metadata(tmp.path().join("kms/key-2.key")).unwrap().permissions().mode() & 0o777, 0o600);
    let k = ks.get("key-2").unwrap();
    assert_eq!(format!("{k:?}"), "DataKey(***)");
    let other = KeyStore::open(&tmp.path().join("kms"), MasterKey::generate()).unwrap();
    assert!(matches!(other.get("key-2"), Err(StorageError::Crypto { .. })));
    assert!(ks.get("../x").is_err());
}
