//! Demo content: what a newcomer sees on first start of a demo backend.
mod common;

use std::time::Duration;

use common::*;
use mirrorvault::backend::{self, ServeOptions};
use mirrorvault::client::Client;

#[tokio::test]
async fn demo_seeds_both_mirror_states_and_a_drill_ready_sql_vault() {
    let dir = tempfile::tempdir().unwrap();
    let opts = ServeOptions {
        data_dir: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        historical_sync_delay: Duration::from_secs(180),
        demo: true,
        credentials: Some(creds()),
    };
    let server = backend::start(opts.clone(), None).await.unwrap();
    let client = Client::new(&server.endpoint(), creds()).unwrap();
    wait_until(Duration::from_secs(60), || async {
        let vaults = client.all_vaults().await.unwrap();
        let sql_dr = vaults.iter().find(|v| v.vault_name == "sqlserver-cluster-a-dr");
        vaults.len() == 5 && sql_dr.map(|v| v.snapshot_count == 2 && v.replication_status == "IN_SYNC").unwrap_or(false)
    })
    .await;
    let vaults = client.all_vaults().await.unwrap();
    let by = |n: &str| vaults.iter().find(|v| v.vault_name == n).unwrap().clone();
    let web_dr = by("web-01-dr");
    assert!(web_dr.replication);
    assert_eq!(web_dr.replication_status, "WAITING_HISTORICAL");
    assert!(!by("finance-fileserver").has_mirror());
    assert_eq!(by("finance-fileserver").snapshot_count, 2);
    let instances = client.describe_sql_server_instances(None).await.unwrap().instances.instance;
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].engine_label, "Demo engine");
    server.shutdown().await;
    // a second start does not seed again
    let server = backend::start(opts, None).await.unwrap();
    let client = Client::new(&server.endpoint(), creds()).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(client.all_vaults().await.unwrap().len(), 5);
    server.shutdown().await;
}
