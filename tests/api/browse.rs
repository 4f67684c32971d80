//! `BrowseFiles`: a snapshot's directories page by page, on source and mirror vaults; bad input
//! answered with 4xx; a 100,000-entry directory paged from the cached listing.
use std::time::{Duration, Instant};

use mirrorvault::api::browse::BrowseFilesRequest;

use crate::support::fixtures::{random_bytes, text_bytes, write};
use crate::support::*;

#[tokio::test]
async fn browse_pages_directories_of_source_and_mirror() {
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    let data = src.path().join("data");
    write(&data.join("a.txt"), b"hello");
    write(&data.join("b.bin"), &random_bytes(3000, 1));
    write(&data.join("sub/c.txt"), &text_bytes(700, 2));
    write(&data.join("sub/deeper/d.txt"), b"d");
    std::os::unix::fs::symlink("a.txt", data.join("ln")).unwrap();
    let c = t
        .client
        .create_backup_client("files", "cn-hangzhou", None)
        .await
        .unwrap();
    t.wait_created(&c.vault_id).await;
    let m = t
        .client
        .create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-shanghai", "dr", "")
        .await
        .unwrap();
    t.wait_created(&m.vault_id).await;
    let s = backup(&t.client, &c.vault_id, &c.client_id, &[&data]).await;
    wait_until(
        Duration::from_secs(30),
        "the snapshot in the mirror",
        || async {
            t.client
                .describe_snapshots(&m.vault_id)
                .await
                .unwrap()
                .snapshots
                .snapshot
                .iter()
                .any(|x| x.snapshot_id == s)
        },
    )
    .await;
    let data_s = data.display().to_string();

    for vault in [&c.vault_id, &m.vault_id] {
        // The root holds the first component of the backed-up path, a directory summing all.
        let root = t
            .client
            .browse_files(vault, &s, "/", 100, None)
            .await
            .unwrap();
        assert_eq!(root.total_count, 1);
        let top = &root.nodes.node[0];
        let first = data_s.trim_start_matches('/').split('/').next().unwrap();
        assert_eq!(
            (
                top.name.as_str(),
                top.node_type.as_str(),
                top.subtree.clone()
            ),
            (first, "directory", format!("/{first}"))
        );
        assert_eq!(top.size, 5 + 3000 + 700 + 1);

        let page = t
            .client
            .browse_files(vault, &s, &data_s, 100, None)
            .await
            .unwrap();
        let names: Vec<(&str, &str, i64)> = page
            .nodes
            .node
            .iter()
            .map(|n| (n.name.as_str(), n.node_type.as_str(), n.size))
            .collect();
        assert_eq!(
            names,
            [
                ("sub", "directory", 701),
                ("a.txt", "file", 5),
                ("b.bin", "file", 3000),
                ("ln", "symlink", 0)
            ]
        );
        assert_eq!(page.total_count, 4);
        assert!(page.next_token.is_empty());
        let a = &page.nodes.node[1];
        assert_eq!(a.subtree, format!("{data_s}/a.txt"));
        assert_eq!(
            a.mode & 0o170000,
            0o100000,
            "a regular file's mode: {:o}",
            a.mode
        );
        assert!(a.mtime > 1_600_000_000);
        assert_eq!(page.nodes.node[3].target, "a.txt");

        // Paging: two at a time, the token carries on, the last page has none.
        let p1 = t
            .client
            .browse_files(vault, &s, &format!("{data_s}/"), 2, None)
            .await
            .unwrap();
        assert_eq!(
            (
                p1.nodes.node.len(),
                p1.total_count,
                p1.next_token.is_empty()
            ),
            (2, 4, false)
        );
        let p2 = t
            .client
            .browse_files(vault, &s, &data_s, 2, Some(&p1.next_token))
            .await
            .unwrap();
        assert_eq!(
            p2.nodes
                .node
                .iter()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>(),
            ["b.bin", "ln"]
        );
        assert!(p2.next_token.is_empty());
    }

    // SnapshotHash names the same snapshot.
    let by_hash = t
        .client
        .send(&BrowseFilesRequest {
            vault_id: c.vault_id.clone(),
            snapshot_hash: Some(s.clone()),
            absolute_path: format!("{data_s}/sub"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        by_hash
            .nodes
            .node
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        ["deeper", "c.txt"]
    );
    assert_eq!(by_hash.snapshot_id, s);

    // Bad input: 4xx with the dialect's codes.
    let bad =
        |e: mirrorvault::client::ClientError| code(&e).0.to_string() + &code(&e).1.to_string();
    let e = t
        .client
        .browse_files(&c.vault_id, "s-nope", "/", 10, None)
        .await
        .unwrap_err();
    assert_eq!(bad(e), "SnapshotNotFound404");
    let e = t
        .client
        .browse_files("v-nope", &s, "/", 10, None)
        .await
        .unwrap_err();
    assert_eq!(bad(e), "VaultNotFound404");
    let e = t
        .client
        .browse_files(&c.vault_id, &s, &format!("{data_s}/a.txt"), 10, None)
        .await
        .unwrap_err();
    assert_eq!(bad(e), "InvalidParameter400");
    let e = t
        .client
        .browse_files(&c.vault_id, &s, &format!("{data_s}/missing"), 10, None)
        .await
        .unwrap_err();
    assert_eq!(bad(e), "PathNotFound404");
    for p in ["relative", "/a/../b"] {
        let e = t
            .client
            .browse_files(&c.vault_id, &s, p, 10, None)
            .await
            .unwrap_err();
        assert_eq!(bad(e), "InvalidParameter400", "{p}");
    }
    let e = t
        .client
        .browse_files(&c.vault_id, &s, "/", 10, Some("xyz"))
        .await
        .unwrap_err();
    assert_eq!(bad(e), "InvalidParameter400");
    let e = t
        .client
        .browse_files(&c.vault_id, &s, "/", 0, None)
        .await
        .unwrap_err();
    assert_eq!(bad(e), "InvalidParameter400");
    let e = t
        .client
        .send(&BrowseFilesRequest {
            vault_id: c.vault_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad(e), "MissingParameter400");
    let e = t
        .client
        .send(&BrowseFilesRequest {
            vault_id: c.vault_id.clone(),
            snapshot_id: Some(s.clone()),
            snapshot_hash: Some("other".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad(e), "InvalidParameter400");
    let e = t
        .client
        .send(&BrowseFilesRequest {
            vault_id: c.vault_id.clone(),
            snapshot_id: Some(s.clone()),
            client_id: Some("c-nope".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad(e), "ClientNotFound404");
    let ok = t
        .client
        .send(&BrowseFilesRequest {
            vault_id: c.vault_id.clone(),
            snapshot_id: Some(s.clone()),
            client_id: Some(c.client_id.clone()),
            ..Default::default()
        })
        .await;
    assert!(ok.is_ok(), "{ok:?}");

    // A browsed subtree is what Include restores, from the mirror.
    let out = tempfile::tempdir().unwrap();
    let r = t
        .client
        .create_restore_job(
            &m.vault_id,
            &s,
            &out.path().display().to_string(),
            &[format!("{data_s}/sub")],
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        wait_restore(&t.client, &r.restore_id).await.job.status,
        "COMPLETE"
    );
    let restored = out.path().join(data.strip_prefix("/").unwrap());
    assert_eq!(
        std::fs::read(restored.join("sub/deeper/d.txt")).unwrap(),
        b"d"
    );
    assert!(!restored.join("a.txt").exists());
}

/// A directory of 100,000 files: the first page decodes the tree, the next pages come from the
/// cached listing. The times are printed (no timing asserts).
#[tokio::test]
async fn a_directory_of_100000_entries_pages() {
    const N: usize = 100_000;
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let big = src.path().join("big");
    std::fs::create_dir(&big).unwrap();
    let made = Instant::now();
    for i in 0..N {
        std::fs::File::create(big.join(format!("f{i:06}"))).unwrap();
    }
    let c = t
        .client
        .create_backup_client("files", "cn-hangzhou", None)
        .await
        .unwrap();
    t.wait_created(&c.vault_id).await;
    let backed = Instant::now();
    let s = backup(&t.client, &c.vault_id, &c.client_id, &[&big]).await;
    eprintln!(
        "browse bench: {N} files made in {:?}, backed up in {:?}",
        backed - made,
        backed.elapsed()
    );
    let dir = big.display().to_string();

    let start = Instant::now();
    let first = t
        .client
        .browse_files(&c.vault_id, &s, &dir, 1000, None)
        .await
        .unwrap();
    let first_time = start.elapsed();
    assert_eq!(first.total_count, N as i64);
    assert_eq!(first.nodes.node[0].name, "f000000");
    let mut token = first.next_token.clone();
    let mut seen = first.nodes.node.len();
    let mut slowest = Duration::ZERO;
    let mut last_name = first.nodes.node.last().unwrap().name.clone();
    while !token.is_empty() {
        let at = Instant::now();
        let p = t
            .client
            .browse_files(&c.vault_id, &s, &dir, 1000, Some(&token))
            .await
            .unwrap();
        slowest = slowest.max(at.elapsed());
        assert!(
            p.nodes.node[0].name > last_name,
            "pages follow each other in order"
        );
        last_name = p.nodes.node.last().unwrap().name.clone();
        seen += p.nodes.node.len();
        token = p.next_token;
    }
    assert_eq!(seen, N);
    assert_eq!(last_name, format!("f{:06}", N - 1));
    let at = Instant::now();
    let mid = t
        .client
        .browse_files(&c.vault_id, &s, &dir, 100, Some("50000"))
        .await
        .unwrap();
    eprintln!(
        "browse bench: first page (tree decoded) {first_time:?}; slowest of the next 99 pages of 1000 {slowest:?}; a page of 100 at offset 50000 {:?}",
        at.elapsed()
    );
    assert_eq!(mid.nodes.node[0].name, "f050000");
}
