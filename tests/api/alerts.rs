//! Alerts: raised and cleared by the backend (region outage at once, a mirror whose replication
//! stays PAUSED, a failed job), one per condition, listed and acknowledged through the API, and
//! POSTed to a real webhook receiver on loopback (signature checked, a failed delivery retried).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use mirrorvault::api::alert::Alert;
use sha2::Sha256;

use crate::support::*;

const SECRET: &str = "whsec-test-9f3a";

/// What the receiver got: each request's signature header and body, and how many it refused.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(Option<String>, Bytes)>>>,
    refuse_first: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

impl Receiver {
    /// Serves on 127.0.0.1:0; answers 500 to the first `refuse_first` requests.
    async fn start(refuse_first: usize) -> (Receiver, std::net::SocketAddr) {
        let r = Receiver {
            refuse_first: Arc::new(AtomicUsize::new(refuse_first)),
            ..Default::default()
        };
        let st = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let st = st.clone();
                async move {
                    if st.refuse_first.load(Ordering::SeqCst) > 0 {
                        st.refuse_first.fetch_sub(1, Ordering::SeqCst);
                        st.refused.fetch_add(1, Ordering::SeqCst);
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let sig = headers
                        .get("x-mirrorvault-signature")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    st.got.lock().unwrap().push((sig, body));
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, addr)
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| serde_json::from_slice(b).unwrap())
            .collect()
    }
}

fn expected_signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn server_with_alerts(extra: &str) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), format!("[alerts]\n{extra}")).unwrap();
    TestServer::options()
        .delay(Duration::from_secs(3600))
        .start_in(dir)
        .await
}

async fn active(t: &TestServer) -> Vec<Alert> {
    t.client
        .describe_alerts(Some("ACTIVE"), 1, 100)
        .await
        .unwrap()
        .alerts
        .alert
}

#[tokio::test]
async fn region_outage_and_stalled_mirror_alert_once_clear_and_reach_the_webhook() {
    let (rx, addr) = Receiver::start(1).await;
    let t = server_with_alerts(&format!("webhook_url = \"http://{addr}/hook?token=t0k\"\nwebhook_secret = \"{SECRET}\"\nreplication_stalled_threshold = \"1s\"\n")).await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 4, 6);
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
    assert!(active(&t).await.is_empty());

    // The outage alert is there as soon as SetRegionOutage answers; a second call adds none.
    t.client
        .set_region_outage("cn-shanghai", true)
        .await
        .unwrap();
    let now = active(&t).await;
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(
        (
            now[0].kind.as_str(),
            now[0].severity.as_str(),
            now[0].status.as_str()
        ),
        ("REGION_OUTAGE", "CRITICAL", "ACTIVE")
    );
    assert!(
        now[0].message.contains("cn-shanghai")
            && now[0].raised_time > 0
            && now[0].resolved_time == 0
            && !now[0].acknowledged
    );
    t.client
        .set_region_outage("cn-shanghai", true)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await; // a periodic check ran meanwhile
    assert_eq!(
        active(&t)
            .await
            .iter()
            .filter(|a| a.kind == "REGION_OUTAGE")
            .count(),
        1,
        "one alert per condition"
    );

    // A backup now cannot replicate: the mirror's replication is PAUSED, past the 1 s threshold.
    backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    wait_until(
        Duration::from_secs(30),
        "the stalled-replication alert",
        || async {
            active(&t)
                .await
                .iter()
                .any(|a| a.kind == "REPLICATION_STALLED" && a.vault_id == m.vault_id)
        },
    )
    .await;

    // Acknowledge; unknown ids and statuses are 4xx.
    let outage = active(&t)
        .await
        .into_iter()
        .find(|a| a.kind == "REGION_OUTAGE")
        .unwrap();
    t.client.acknowledge_alert(&outage.alert_id).await.unwrap();
    assert!(
        active(&t)
            .await
            .iter()
            .find(|a| a.alert_id == outage.alert_id)
            .unwrap()
            .acknowledged
    );
    let e = t.client.acknowledge_alert("al-nope").await.unwrap_err();
    assert_eq!(code(&e), ("AlertNotFound", 404));
    let e = t
        .client
        .describe_alerts(Some("OPEN"), 1, 10)
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));

    // The outage ends: both clear (replication catches up), each RESOLVED with its time.
    t.client
        .set_region_outage("cn-shanghai", false)
        .await
        .unwrap();
    assert!(
        active(&t).await.iter().all(|a| a.kind != "REGION_OUTAGE"),
        "the outage alert clears at once"
    );
    wait_until(
        Duration::from_secs(30),
        "the stalled alert to clear",
        || async { active(&t).await.is_empty() },
    )
    .await;
    let resolved = t
        .client
        .describe_alerts(Some("RESOLVED"), 1, 100)
        .await
        .unwrap();
    assert_eq!(resolved.page.total_count, 2);
    assert!(resolved
        .alerts
        .alert
        .iter()
        .all(|a| a.status == "RESOLVED" && a.resolved_time >= a.raised_time));

    // The webhook got a signed POST per raise and per resolution; the first was refused once
    // and retried.
    wait_until(
        Duration::from_secs(30),
        "four webhook deliveries",
        || async { rx.got.lock().unwrap().len() >= 4 },
    )
    .await;
    assert_eq!(rx.refused.load(Ordering::SeqCst), 1);
    for (sig, body) in rx.got.lock().unwrap().iter() {
        assert_eq!(
            sig.as_deref(),
            Some(expected_signature(body).as_str()),
            "signature of {}",
            String::from_utf8_lossy(body)
        );
        assert!(!String::from_utf8_lossy(body).contains(SECRET));
    }
    let bodies = rx.bodies();
    let seen: Vec<(String, String)> = bodies
        .iter()
        .map(|b| {
            (
                b["Kind"].as_str().unwrap().to_string(),
                b["Status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("REGION_OUTAGE", "ACTIVE"),
        ("REPLICATION_STALLED", "ACTIVE"),
        ("REGION_OUTAGE", "RESOLVED"),
        ("REPLICATION_STALLED", "RESOLVED"),
    ] {
        assert!(
            seen.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {seen:?}"
        );
    }
    let first = &bodies[0];
    for key in [
        "AlertId",
        "Kind",
        "Severity",
        "Status",
        "Message",
        "VaultId",
        "JobId",
        "ClientId",
        "RaisedTime",
        "ResolvedTime",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    assert_eq!(bodies.len(), 4, "nothing sent twice: {seen:?}");
}

#[tokio::test]
async fn a_failed_restore_alerts_until_the_next_restore_completes() {
    let t = server_with_alerts("").await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 2, 4);
    let c = t
        .client
        .create_backup_client("files", "cn-hangzhou", None)
        .await
        .unwrap();
    t.wait_created(&c.vault_id).await;
    let s = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    // A target below a regular file cannot be made: the job fails.
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("plain-file"), b"x").unwrap();
    let bad = out.path().join("plain-file/below");
    let r = t
        .client
        .create_restore_job(&c.vault_id, &s, &bad.display().to_string(), &[], false)
        .await
        .unwrap();
    let j = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(j.job.status, "FAILED");
    let a = active(&t).await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(
        (
            a[0].kind.as_str(),
            a[0].job_id.as_str(),
            a[0].vault_id.as_str()
        ),
        ("JOB_FAILED", r.restore_id.as_str(), c.vault_id.as_str())
    );
    // A second failure of the same kind on the same vault is the same condition.
    let r2 = t
        .client
        .create_restore_job(&c.vault_id, &s, &bad.display().to_string(), &[], false)
        .await
        .unwrap();
    assert_eq!(
        wait_restore(&t.client, &r2.restore_id).await.job.status,
        "FAILED"
    );
    assert_eq!(active(&t).await.len(), 1);
    let good = out.path().join("good");
    let r3 = t
        .client
        .create_restore_job(&c.vault_id, &s, &good.display().to_string(), &[], false)
        .await
        .unwrap();
    assert_eq!(
        wait_restore(&t.client, &r3.restore_id).await.job.status,
        "COMPLETE"
    );
    assert!(
        active(&t).await.is_empty(),
        "the completed restore clears it"
    );
}

#[tokio::test]
async fn bad_alert_settings_stop_the_backend_from_starting() {
    for bad in [
        "replication_lag_threshold = \"soon\"\n",
        "webhook_url = \"ftp://x/\"\n",
        "webhook_secret = \"s\"\n",
        "unknown_key = 1\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), format!("[alerts]\n{bad}")).unwrap();
        let opts = mirrorvault::backend::ServeOptions {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
            historical_sync_delay: Duration::from_secs(60),
            demo: false,
            credentials: Some(creds()),
        };
        let e = mirrorvault::backend::start(opts, None)
            .await
            .err()
            .unwrap_or_else(|| panic!("{bad} accepted"));
        assert!(
            e.to_string().contains("alerts") || e.to_string().contains("unknown"),
            "{bad}: {e}"
        );
        assert!(!e.to_string().contains("whsec"), "{e}");
    }
}
