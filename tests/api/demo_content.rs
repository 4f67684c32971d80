//! Demo content: what a newcomer sees on first start of a demo backend.
use std::time::Duration;

use crate::support::{wait_until, TestServer};

#[tokio::test]
async fn demo_seeds_both_mirror_states_and_a_drill_ready_sql_vault() {
    let t = TestServer::options().delay(Duration::from_secs(180)).demo().start().await;
    let client = t.client.clone();
    wait_until(Duration::from_secs(60), "the demo content", || async {
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
    // a second start does not seed again
    let mut t = t.restart().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(t.client.all_vaults().await.unwrap().len(), 5);
    t.stop().await;
}
