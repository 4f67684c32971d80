//! Demo engine end to end, on real SQLite files in temporary directories.

use mirrorvault::backend::sqlserver::{ConnectionSpec, Engine, EngineKind, SqlError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn demo_engine(dir: &Path) -> Engine {
    Engine::connect(ConnectionSpec {
        engine: EngineKind::Demo,
        server_name: dir.to_string_lossy().to_string(),
        sql_login: String::new(),
        sql_password: String::new(),
        use_windows_auth: false,
        trust_server_certificate: false,
        staging_dir: None,
    })
    .expect("demo engine")
}

struct Setup {
    _tmp: tempfile::TempDir,
    instance: PathBuf,
    staging: PathBuf,
    engine: Engine,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let instance = tmp.path().join("instance");
    let staging = tmp.path().join("staging");
    mirrorvault::backend::demo::databases::seed(&instance).unwrap();
    let engine = demo_engine(&instance);
    Setup { _tmp: tmp, instance, staging, engine }
}

fn files_starting_with(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn seed_precheck_list() {
    let s = setup();
    assert_eq!(s.engine.kind(), EngineKind::Demo);
    // Idempotent.
    mirrorvault::backend::demo::databases::seed(&s.instance).unwrap();
    let report = s.engine.precheck().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert!(report.version.contains("SQLite"));

    let dbs = s.engine.list_databases().await.unwrap();
    let names: Vec<&str> = dbs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["inventory", "sales"]);
    assert!(dbs.iter().all(|d| d.size_bytes > 0 && d.status == "ONLINE"));
    assert!(s.engine.database_exists("sales").await.unwrap());
    assert!(!s.engine.database_exists("nope").await.unwrap());

    let counts = s.engine.verify_database("inventory", &BTreeMap::new()).await.unwrap();
    assert!(counts.integrity_ok);
    assert_eq!(counts.actual["items"], 500);
    assert_eq!(counts.actual["warehouses"], 5);
    assert!(counts.actual["stock_levels"] >= 500);
}

#[tokio::test]
async fn precheck_reports_missing_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = demo_engine(&tmp.path().join("missing"));
    let report = engine.precheck().await.unwrap();
    assert!(!report.ok);
    assert!(matches!(engine.list_databases().await, Err(SqlError::Connect(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_backup_restore_verify() {
    let s = setup();
    let db_path = s.instance.join("sales.sqlite");

    // A writer keeps inserting orders during the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let inserted = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, inserted, db_path) = (stop.clone(), inserted.clone(), db_path.clone());
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&db_path).unwrap();
            conn.busy_timeout(Duration::from_secs(10)).unwrap();
            while !stop.load(Ordering::Relaxed) {
                conn.execute(
                    "INSERT INTO orders (customer_id, order_date, status, total_cents, currency) \
                     VALUES (1 + abs(random()) % 200, '2024-12-01', 'pending', 1999, 'EUR')",
                    [],
                )
                .unwrap();
                inserted.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    // Make sure writes are really happening around the backup.
    while inserted.load(Ordering::Relaxed) < 50 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let artifact = s.engine.backup_database("sales", &s.staging).await.unwrap();
    let during = inserted.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let total_inserted = inserted.load(Ordering::Relaxed);
    assert!(total_inserted > during, "writer kept running after the backup");

    assert_eq!(artifact.engine, EngineKind::Demo);
    assert_eq!(artifact.database, "sales");
    assert!(artifact.file.starts_with(&s.staging));
    assert_eq!(artifact.size_bytes, std::fs::metadata(&artifact.file).unwrap().len());
    assert_eq!(artifact.table_row_counts["customers"], 200);
    let orders = artifact.table_row_counts["orders"];
    assert!(orders >= 2000 + 50 && orders <= 2000 + during, "orders in copy: {orders}");
    // No leftovers in staging besides the artifact.
    assert_eq!(files_starting_with(&s.staging, "").len(), 1);

    // Restore under a new name and verify against the recorded counts.
    s.engine.restore_database(&artifact.file, "sales", "sales_restored", false, None).await.unwrap();
    let v = s.engine.verify_database("sales_restored", &artifact.table_row_counts).await.unwrap();
    assert!(v.integrity_ok, "{}", v.integrity_message);
    assert!(v.row_counts_match, "{:?} vs {:?}", v.expected, v.actual);
    assert!(v.passed());
    assert!(files_starting_with(&s.instance, ".restore-").is_empty());

    // The live database has moved on; its counts no longer match the backup.
    let live = s.engine.verify_database("sales", &artifact.table_row_counts).await.unwrap();
    assert!(live.integrity_ok);
    assert!(!live.row_counts_match);
    assert_eq!(live.actual["orders"], 2000 + total_inserted);

    // Restored database is a normal, writable database with foreign keys intact.
    let conn = rusqlite::Connection::open(s.instance.join("sales_restored.sqlite")).unwrap();
    let orphans: i64 = conn
        .query_row("SELECT COUNT(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(orphans, 0);
}

#[tokio::test]
async fn restore_onto_existing_name() {
    let s = setup();
    let artifact = s.engine.backup_database("inventory", &s.staging).await.unwrap();
    let sales_path = s.instance.join("sales.sqlite");
    let before = std::fs::read(&sales_path).unwrap();

    let err = s.engine.restore_database(&artifact.file, "inventory", "sales", false, None).await.unwrap_err();
    assert!(matches!(err, SqlError::AlreadyExists(ref n) if n == "sales"), "{err:?}");
    assert_eq!(std::fs::read(&sales_path).unwrap(), before, "existing database must be untouched");
    assert!(files_starting_with(&s.instance, ".restore-").is_empty());

    // With replace it works and the content is now the inventory backup.
    s.engine.restore_database(&artifact.file, "inventory", "sales", true, None).await.unwrap();
    let v = s.engine.verify_database("sales", &artifact.table_row_counts).await.unwrap();
    assert!(v.passed(), "{v:?}");
    assert!(v.actual.contains_key("items"));
    assert!(!v.actual.contains_key("orders"));

    // Restoring into the instance dir given explicitly is fine; elsewhere is not.
    s.engine.restore_database(&artifact.file, "inventory", "inv2", false, Some(&s.instance)).await.unwrap();
    let elsewhere = s.staging.clone();
    assert!(s.engine.restore_database(&artifact.file, "inventory", "inv3", false, Some(&elsewhere)).await.is_err());
    assert!(!s.instance.join("inv3.sqlite").exists());
}

async fn assert_corrupt_restore_fails(s: &Setup, artifact: &Path, target: &str) {
    let r = s.engine.restore_database(artifact, "sales", target, false, None).await;
    assert!(r.is_err(), "restore of a corrupted artifact must fail");
    assert!(!s.instance.join(format!("{target}.sqlite")).exists(), "no file under the target name");
    assert!(!s.engine.database_exists(target).await.unwrap());
    assert!(files_starting_with(&s.instance, ".restore-").is_empty(), "temp files cleaned up");
    assert!(files_starting_with(&s.instance, target).is_empty());
}

#[tokio::test]
async fn corrupted_artifacts_are_rejected() {
    let s = setup();
    let artifact = s.engine.backup_database("sales", &s.staging).await.unwrap();
    let good = std::fs::read(&artifact.file).unwrap();

    // Flip bytes in the middle.
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    for b in &mut flipped[mid..mid + 16] {
        *b ^= 0xA5;
    }
    let p = s.staging.join("flipped.bak");
    std::fs::write(&p, &flipped).unwrap();
    assert_corrupt_restore_fails(&s, &p, "from_flipped").await;

    // A single flipped bit.
    let mut one_bit = good.clone();
    one_bit[mid + 100] ^= 0x01;
    std::fs::write(&p, &one_bit).unwrap();
    assert_corrupt_restore_fails(&s, &p, "from_onebit").await;

    // Truncated.
    let p = s.staging.join("truncated.bak");
    std::fs::write(&p, &good[..good.len() / 2]).unwrap();
    assert_corrupt_restore_fails(&s, &p, "from_truncated").await;
    std::fs::write(&p, &good[..good.len() - 1]).unwrap();
    assert_corrupt_restore_fails(&s, &p, "from_truncated2").await;

    // Empty and garbage files, and a missing file.
    let p = s.staging.join("empty.bak");
    std::fs::write(&p, b"").unwrap();
    assert_corrupt_restore_fails(&s, &p, "from_empty").await;
    std::fs::write(&p, vec![0x42u8; 10_000]).unwrap();
    assert_corrupt_restore_fails(&s, &p, "from_garbage").await;
    assert_corrupt_restore_fails(&s, &s.staging.join("missing.bak"), "from_missing").await;

    // Corrupt artifact with replace=true must not damage the existing database.
    let before = std::fs::read(s.instance.join("inventory.sqlite")).unwrap();
    assert!(s.engine.restore_database(&p, "sales", "inventory", true, None).await.is_err());
    assert_eq!(std::fs::read(s.instance.join("inventory.sqlite")).unwrap(), before);

    // The intact artifact still restores.
    s.engine.restore_database(&artifact.file, "sales", "sales_ok", false, None).await.unwrap();
    assert!(s.engine.verify_database("sales_ok", &artifact.table_row_counts).await.unwrap().passed());
}

#[tokio::test]
async fn invalid_names_rejected() {
    let s = setup();
    let artifact = s.engine.backup_database("sales", &s.staging).await.unwrap();
    let long = "x".repeat(129);
    for bad in ["", "../sales", "a/b", "a\\b", "..", "sales\0", "with space", "semi;colon", "dot.ted", long.as_str()] {
        assert!(matches!(s.engine.backup_database(bad, &s.staging).await, Err(SqlError::InvalidName(_))), "backup {bad:?}");
        assert!(matches!(s.engine.database_exists(bad).await, Err(SqlError::InvalidName(_))), "exists {bad:?}");
        assert!(
            matches!(s.engine.verify_database(bad, &BTreeMap::new()).await, Err(SqlError::InvalidName(_))),
            "verify {bad:?}"
        );
        assert!(
            matches!(
                s.engine.restore_database(&artifact.file, "sales", bad, true, None).await,
                Err(SqlError::InvalidName(_))
            ),
            "restore {bad:?}"
        );
    }
    assert!(!s.instance.parent().unwrap().join("sales.sqlite").exists());
    // Unknown but valid names are NotFound.
    assert!(matches!(s.engine.backup_database("ghost", &s.staging).await, Err(SqlError::NotFound(n)) if n == "ghost"));
    assert!(matches!(s.engine.verify_database("ghost", &BTreeMap::new()).await, Err(SqlError::NotFound(_))));
}
