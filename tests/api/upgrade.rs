//! Users upgrade: a data dir written by an earlier main (tests/fixtures/datadir-r1.2, storage
//! format 1 revision 1.2, that commit's catalog) opens unchanged — the same vaults, mirrors and
//! snapshots — restores its snapshots byte for byte and verifies clean.
use std::path::{Path, PathBuf};

use crate::support::tree::walk;
use crate::support::{files_under, rerooted, wait_restore, wait_verify, TestServer};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/datadir-r1.2");
/// Where the fixture was written: its snapshots name paths under this directory.
const WRITTEN_AT: &str = "/tmp/fx";

/// Copies the tree at `from` (directories and files) to `to`.
fn copy_dir(from: &Path, to: &Path) {
    for p in walk(from) {
        let dest = to.join(p.strip_prefix(from).unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The files under `expected` and `actual` have the same relative names and bytes (the
/// fixture's own files carry checkout times and modes, so only content is compared).
fn assert_same_names_and_bytes(expected: &Path, actual: &Path) {
    let rel = |root: &Path| -> Vec<PathBuf> { files_under(root).into_iter().map(|p| p.strip_prefix(root).unwrap().to_path_buf()).collect() };
    let (want, got) = (rel(expected), rel(actual));
    assert!(!want.is_empty(), "the fixture holds no files under {}", expected.display());
    assert_eq!(want, got, "file names differ");
    for p in &want {
        assert!(std::fs::read(expected.join(p)).unwrap() == std::fs::read(actual.join(p)).unwrap(), "{} differs", p.display());
    }
}

#[tokio::test]
async fn a_data_dir_of_the_previous_format_opens_restores_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    let t = TestServer::options().start_in(dir).await;

    let vaults = t.client.all_vaults().await.unwrap();
    let mut names: Vec<&str> = vaults.iter().map(|v| v.vault_name.as_str()).collect();
    names.sort();
    assert_eq!(names.len(), 5, "{names:?}");
    for name in ["finance-fileserver", "web-01", "web-01-dr"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for v in &vaults {
        assert_eq!(v.status, "CREATED", "{}: {}", v.vault_name, v.vault_status_message);
        // web-01-dr was made moments before the fixture was taken: its historical sync had not run.
        let expected = if v.vault_name == "web-01-dr" { 0 } else { 2 };
        assert_eq!(v.snapshot_count, expected, "{} snapshots", v.vault_name);
    }
    let mirror = vaults.iter().find(|v| v.vault_name == "web-01-dr").unwrap();
    let web = vaults.iter().find(|v| v.vault_name == "web-01").unwrap();
    assert_eq!(mirror.replication_source_vault_id, web.vault_id, "the mirror relationship survives");

    // Restore the newest file snapshot of each file vault; compare with the sources kept beside
    // the fixture.
    for (vault, source) in [("finance-fileserver", "demo/finance-fileserver"), ("web-01", "demo/web-01")] {
        let v = vaults.iter().find(|v| v.vault_name == vault).unwrap();
        let snaps = t.client.describe_snapshots(&v.vault_id).await.unwrap().snapshots.snapshot;
        let newest = snaps.iter().max_by_key(|s| s.complete_time).unwrap();
        let out = tempfile::tempdir().unwrap();
        let r = t.client.create_restore_job(&v.vault_id, &newest.snapshot_id, &out.path().display().to_string(), &[], false).await.unwrap();
        let j = wait_restore(&t.client, &r.restore_id).await;
        assert_eq!(j.job.status, "COMPLETE", "{vault}: {}", j.job.error_message);
        let original = Path::new(WRITTEN_AT).join(source);
        assert_same_names_and_bytes(&Path::new(FIXTURE).join(source), &rerooted(out.path(), &original));
    }
    // Every vault verifies clean, reading every pack: the SQL Server vault's mirror holds the
    // copies replication wrote.
    for v in &vaults {
        let vj = t.client.create_verify_job(&v.vault_id, None, true).await.unwrap();
        let report = wait_verify(&t.client, &vj.job_id).await;
        assert_eq!(report.job.status, "COMPLETE", "{}", v.vault_name);
        assert!(report.damaged_objects.is_empty() && report.damaged_snapshots.is_empty(), "{}: {report:?}", v.vault_name);
    }
    // The backup clients of the old catalog are still there.
    let finance = vaults.iter().find(|v| v.vault_name == "finance-fileserver").unwrap();
    let clients = t.client.describe_backup_clients(Some(&finance.vault_id)).await.unwrap();
    assert!(!clients.backup_clients.backup_client.is_empty());
}
