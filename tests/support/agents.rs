//! Remote agents in tests: a backend running as `nobody` (so it cannot read what root alone
//! may), a client with a registered, running `mirrorvault agent`, a restore onto a client.
use std::path::{Path, PathBuf};
use std::time::Duration;

use mirrorvault::api::backup::CreateRestoreJobRequest;
use mirrorvault::client::Client;

use super::child::{Agent, Backend, Launch};
use super::{creds, wait_restore, wait_until};

const NOBODY: (u32, u32) = (65534, 65534);

/// A directory everyone may enter (tempdirs are 0700), holding `name` owned by `owner`.
pub fn dir_for(base: &Path, name: &str, owner: Option<(u32, u32)>, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let d = base.join(name);
    std::fs::create_dir_all(&d).unwrap();
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&d, Some(uid), Some(gid)).unwrap();
    }
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).unwrap();
    d
}

/// A backend running as `nobody` with short agent timeouts, in `base/backend`.
pub fn backend_as_nobody(base: &Path) -> Backend {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(base, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = dir_for(base, "backend", Some(NOBODY), 0o700);
    std::fs::write(dir.join("config.toml"), "[agents]\noffline_after = \"6s\"\njob_lease = \"6s\"\n").unwrap();
    std::os::unix::fs::chown(dir.join("config.toml"), Some(NOBODY.0), Some(NOBODY.1)).unwrap();
    Backend::start_as(&Launch { data_dir: &dir, delay: "0s", credentials: creds(), rust_log: "info", extra_env: vec![] }, Some(NOBODY))
}

pub async fn wait_vault(client: &Client, vault_id: &str) {
    wait_until(Duration::from_secs(30), format!("vault {vault_id} CREATED"), || async {
        client.vault(vault_id).await.ok().flatten().map(|v| v.status == "CREATED").unwrap_or(false)
    })
    .await;
}

/// A client in `region` with its own source vault, and an agent registered and running for it.
pub async fn client_with_agent(b: &Backend, region: &str, name: &str, agent_dir: &Path) -> (String, String, Agent) {
    let c = b.client.create_backup_client(name, region, None).await.unwrap();
    wait_vault(&b.client, &c.vault_id).await;
    let out = Agent::register(&b.endpoint, &c.client_id, agent_dir, &creds());
    assert!(out.status.success(), "agent register: {}", String::from_utf8_lossy(&out.stderr));
    let saved = std::fs::read_to_string(agent_dir.join("agent.toml")).unwrap();
    assert!(!saved.contains(&creds().access_key_secret), "the account secret is not saved");
    let agent = Agent::start(agent_dir);
    wait_until(Duration::from_secs(30), "the agent's first heartbeat", || async {
        let clients = b.client.describe_backup_clients(None).await.unwrap().clients;
        clients.iter().any(|i| i.client_id == c.client_id && i.status == "ACTIVATED" && i.agent_installed)
    })
    .await;
    (c.client_id, c.vault_id, agent)
}

pub async fn restore_on(client: &Client, vault_id: &str, snapshot_id: &str, target: &Path, client_id: &str) -> mirrorvault::api::backup::RestoreJob {
    let r = client
        .send(&CreateRestoreJobRequest {
            vault_id: vault_id.into(),
            snapshot_id: snapshot_id.into(),
            target_path: target.display().to_string(),
            client_id: Some(client_id.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    wait_restore(client, &r.restore_id).await
}

