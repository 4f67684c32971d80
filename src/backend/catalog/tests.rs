//! The read pool and the paged reads behind the list actions.
use super::*;

fn snapshot(vault_id: &str, snapshot_id: &str, client_id: &str, complete_time: i64) -> SnapshotRow {
    SnapshotRow {
        vault_id: vault_id.into(),
        snapshot_id: snapshot_id.into(),
        client_id: client_id.into(),
        source_type: "FILE".into(),
        bytes_total: 1000 + complete_time,
        start_time: complete_time - 5,
        complete_time,
        meta: serde_json::json!({}),
        ..Default::default()
    }
}

fn vault(vault_id: &str) -> NewVault<'_> {
    super::test_vault(vault_id)
}

#[test]
fn a_file_catalog_reads_every_commit_through_read_only_connections() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("catalog.sqlite");
    let c = std::sync::Arc::new(Catalog::open(&path).expect("catalog"));
    assert!(!c.readers.is_empty(), "a file catalog has readers");
    c.insert_vault(&vault("v1")).expect("vault");
    // Each status written is what every reader sees next, from any thread.
    for round in 0..20 {
        let status = format!("S{round}");
        c.set_vault_status("v1", &status, "").expect("status");
        let seen: Vec<String> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || c.vault("v1").expect("read").expect("row").status)
            })
            .map(|t| t.join().expect("reader thread"))
            .collect();
        assert!(seen.iter().all(|s| *s == status), "round {round}: {seen:?}");
    }
    // Readers cannot write.
    let e = c.read().execute("UPDATE vaults SET status = 'X'", []).expect_err("a reader refuses writes");
    assert!(e.to_string().contains("readonly"), "{e}");
    assert_eq!(c.vault("v1").expect("read").expect("row").status, "S19");
    // Closed and reopened: what was written is there.
    c.close();
    drop(c);
    let c = Catalog::open(&path).expect("reopened");
    assert_eq!(c.vault("v1").expect("read").expect("row").status, "S19");
}

#[test]
fn an_in_memory_catalog_reads_through_its_writer() {
    let c = Catalog::in_memory_with_vault("v1");
    assert!(c.readers.is_empty());
    c.set_vault_status("v1", "ERROR", "m").expect("status");
    assert_eq!(c.vault("v1").expect("read").expect("row").status, "ERROR");
}

#[test]
fn snapshot_pages_are_newest_first_and_count_every_match() {
    let c = Catalog::in_memory_with_vault("v1");
    c.insert_vault(&vault("v2")).expect("vault");
    // 25 snapshots in v1 over two clients, with ties in complete_time (then by id); one in v2.
    for i in 0..25i64 {
        c.insert_snapshot(&snapshot("v1", &format!("s{i:02}"), if i % 3 == 0 { "ca" } else { "cb" }, 100 + i / 2)).expect("snapshot");
    }
    c.insert_snapshot(&snapshot("v2", "other", "ca", 500)).expect("snapshot");
    for client in [None, Some("ca"), Some("cb")] {
        let mut all = c.list_snapshots("v1", client, None).expect("list");
        all.reverse();
        let ids: Vec<String> = all.iter().map(|s| s.snapshot_id.clone()).collect();
        let mut paged = Vec::new();
        for page in 1..=4 {
            let (total, rows) = c.snapshot_page("v1", client, None, page, 10).expect("page");
            assert_eq!(total, ids.len() as i64, "{client:?}");
            assert!(rows.len() <= 10);
            paged.extend(rows.into_iter().map(|s| s.snapshot_id));
        }
        assert_eq!(paged, ids, "{client:?}: the pages, in order, are the whole list newest first");
    }
    assert_eq!(c.snapshot_page("v1", None, None, 1, 3).expect("page").1.iter().map(|s| s.snapshot_id.as_str()).collect::<Vec<_>>(), ["s24", "s23", "s22"]);
    assert_eq!(c.snapshot_page("v1", None, Some("SQLSERVER"), 1, 10).expect("page").0, 0);
}

#[test]
fn vault_pages_carry_each_vaults_own_sizes_and_snapshot_totals() {
    let c = Catalog::in_memory_with_vault("v1");
    c.insert_vault(&vault("v2")).expect("vault");
    c.set_storage_sizes("v1", 9000, 7000).expect("sizes");
    c.set_storage_sizes("v2", 500, 400).expect("sizes");
    for (i, t) in [10, 30, 20].into_iter().enumerate() {
        c.insert_snapshot(&snapshot("v1", &format!("s{i}"), "ca", t)).expect("snapshot");
    }
    let (total, rows) = c.list_vaults(&VaultFilter::default(), 1, 10).expect("list");
    assert_eq!(total, 2);
    let v1 = rows.iter().find(|v| v.vault_id == "v1").expect("v1");
    let v2 = rows.iter().find(|v| v.vault_id == "v2").expect("v2");
    assert_eq!((v1.storage_size, v1.storage_size_referenced), (9000, 7000));
    assert_eq!((v2.storage_size, v2.storage_size_referenced), (500, 400));
    assert_eq!((v1.snapshot_count, v1.bytes_done, v1.latest_backup_time), (3, 1010 + 1030 + 1020, 30));
    assert_eq!((v2.snapshot_count, v2.bytes_done, v2.latest_backup_time), (0, 0, 0));
    let states = c.vault_states().expect("states");
    assert_eq!(states.iter().map(|s| s.vault_id.as_str()).collect::<Vec<_>>(), ["v1", "v2"]);
}
