//! The alert webhook: a JSON POST for each raised and resolved alert, sent by one background
//! task from a bounded queue (a full queue drops the alert with a log line, so raising never
//! waits), retried with exponential backoff. With a secret, each POST carries
//! `X-Mirrorvault-Signature: sha256=<hex HMAC-SHA256 of the body>`. Neither the secret nor the
//! URL's query is logged.
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::backend::catalog::AlertRow;

/// Alerts waiting for delivery; beyond this they are dropped (and logged).
const QUEUE: usize = 256;
/// Attempts per alert, and the first and longest wait between them.
const ATTEMPTS: u32 = 8;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const TIMEOUT: Duration = Duration::from_secs(10);

pub const SIGNATURE_HEADER: &str = "X-Mirrorvault-Signature";

#[derive(Clone)]
pub(super) struct Target {
    pub url: reqwest::Url,
    pub secret: Option<String>,
}

/// The POST body.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Payload<'a> {
    alert_id: &'a str,
    kind: &'a str,
    severity: &'a str,
    status: &'a str,
    message: &'a str,
    vault_id: &'a str,
    job_id: &'a str,
    client_id: &'a str,
    raised_time: i64,
    resolved_time: i64,
}

/// The queue's sending end (none without a configured webhook).
pub(super) struct Webhook {
    tx: Option<mpsc::Sender<(String, Vec<u8>)>>,
}

impl Webhook {
    pub fn start(target: Option<Target>) -> Webhook {
        let Some(target) = target else {
            return Webhook { tx: None };
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(deliver(target, rx));
        Webhook { tx: Some(tx) }
    }

    /// Queues the alert's POST; never waits.
    pub fn send(&self, a: &AlertRow) {
        let Some(tx) = &self.tx else { return };
        let payload = Payload {
            alert_id: &a.alert_id,
            kind: &a.kind,
            severity: &a.severity,
            status: &a.status,
            message: &a.message,
            vault_id: &a.vault_id,
            job_id: &a.job_id,
            client_id: &a.client_id,
            raised_time: a.raised_time,
            resolved_time: a.resolved_time,
        };
        let body = match serde_json::to_vec(&payload) {
            Ok(b) => b,
            Err(e) => return tracing::error!(%e, "alert webhook: cannot encode the alert"),
        };
        if let Err(e) = tx.try_send((a.alert_id.clone(), body)) {
            tracing::warn!(alert_id = %a.alert_id, status = %a.status, "alert webhook queue {}: the alert is dropped", if matches!(e, mpsc::error::TrySendError::Full(_)) { "full" } else { "closed" });
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The URL without its query (it may hold a token), for log lines.
fn shown(url: &reqwest::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    )
}

async fn deliver(target: Target, mut rx: mpsc::Receiver<(String, Vec<u8>)>) {
    let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            return tracing::error!(e = %e.without_url(), "alert webhook: no HTTP client; alerts are not sent")
        }
    };
    let url = shown(&target.url);
    while let Some((alert_id, body)) = rx.recv().await {
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=ATTEMPTS {
            let mut req = client
                .post(target.url.clone())
                .header("content-type", "application/json");
            if let Some(secret) = &target.secret {
                req = req.header(SIGNATURE_HEADER, signature(secret, &body));
            }
            let why = match req.body(body.clone()).send().await {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => format!("HTTP {}", r.status()),
                Err(e) => e.without_url().to_string(),
            };
            if attempt == ATTEMPTS {
                tracing::warn!(%alert_id, %url, %why, "alert webhook: giving up after {ATTEMPTS} attempts; the alert is dropped");
                break;
            }
            tracing::info!(%alert_id, %url, %why, attempt, "alert webhook: delivery failed; retrying in {backoff:?}");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
