//! Which servers the client trusts (`Trust`), and the rule that keeps vault keys and data off
//! plain HTTP across the network (`check_transport`). The TLS configs are `crate::tls`'s.
use std::path::PathBuf;

use super::ClientError;

/// How an `https://` endpoint's certificate is checked. The default trusts the public web PKI
/// roots (webpki-roots), with name and validity checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trust {
    /// Accept exactly the certificate with this SHA-256 fingerprint (hex, colons and case as
    /// typed), as `mirrorvault serve` prints it; no CA or name check.
    pub fingerprint: Option<String>,
    /// Trust the certificates in this PEM file (a private CA, or the server's own certificate)
    /// instead of the public roots.
    pub ca_file: Option<PathBuf>,
}

impl Trust {
    /// The rustls config to hand reqwest; `None`: reqwest's own (the public roots).
    pub(super) fn client_config(&self, base: &str) -> Result<Option<rustls::ClientConfig>, ClientError> {
        let tls_err = |e: crate::tls::TlsError| ClientError::Tls(e.to_string());
        let config = match (&self.fingerprint, &self.ca_file) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => return Err(ClientError::Tls("give either a certificate fingerprint or a CA file, not both".into())),
            (Some(fingerprint), None) => crate::tls::pinned_client_config(fingerprint).map_err(tls_err)?,
            (None, Some(path)) => {
                let pem = std::fs::read_to_string(path).map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?;
                crate::tls::roots_client_config(&pem, &path.display().to_string()).map_err(tls_err)?
            }
        };
        if !base.starts_with("https://") {
            return Err(ClientError::Tls(format!("a certificate fingerprint or CA file applies to https:// endpoints, not {base}")));
        }
        Ok(Some(config))
    }
}

/// Refuses plain HTTP (`http://`, or `host:port` without a scheme) to a host that is not a
/// loopback address (`127.0.0.0/8`, `::1`, `localhost`): over the network only `https://`.
pub fn check_transport(endpoint: &str) -> Result<(), ClientError> {
    let endpoint = endpoint.trim();
    let with_scheme = if endpoint.contains("://") { endpoint.to_string() } else { format!("http://{endpoint}") };
    let url = reqwest::Url::parse(&with_scheme).map_err(|_| ClientError::Endpoint(endpoint.to_string()))?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| ClientError::Endpoint(endpoint.to_string()))?;
    let loopback = match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => {
            let authority = match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            };
            Err(ClientError::PlainHttp(authority))
        }
        _ => Err(ClientError::Endpoint(endpoint.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_off_loopback_only() {
        for refused in ["http://10.0.0.5:8765", "10.0.0.5:8765", "http://backup.example.com", "http://[2001:db8::1]:8765", "HTTP://192.168.1.2"] {
            let e = check_transport(refused).expect_err(refused);
            assert!(matches!(e, ClientError::PlainHttp(_)), "{refused}: {e:?}");
            let text = e.to_string();
            assert!(text.contains("https://") && text.contains("--fingerprint"), "{text}");
        }
        assert!(check_transport("http://10.0.0.5:8765").unwrap_err().to_string().contains("10.0.0.5:8765"));
        for accepted in ["http://127.0.0.1:8765", "http://127.1.2.3", "127.0.0.1:8765", "http://localhost:8765", "http://LOCALHOST", "http://[::1]:8765", "https://10.0.0.5:8765", "https://backup.example.com"] {
            check_transport(accepted).unwrap_or_else(|e| panic!("{accepted}: {e}"));
        }
        for invalid in ["ftp://10.0.0.5", "http://", ""] {
            assert!(matches!(check_transport(invalid), Err(ClientError::Endpoint(_))), "{invalid}");
        }
    }

    #[test]
    fn a_pin_or_ca_file_needs_https_and_a_valid_value() {
        let pin = Trust { fingerprint: Some("ab".repeat(32)), ca_file: None };
        assert!(pin.client_config("https://10.0.0.5:8765").unwrap().is_some());
        assert!(matches!(pin.client_config("http://127.0.0.1:8765"), Err(ClientError::Tls(_))));
        let bad = Trust { fingerprint: Some("not-hex".into()), ca_file: None };
        assert!(bad.client_config("https://10.0.0.5:8765").unwrap_err().to_string().contains("not-hex"));
        let both = Trust { fingerprint: Some("ab".repeat(32)), ca_file: Some("/nonexistent.pem".into()) };
        assert!(matches!(both.client_config("https://h"), Err(ClientError::Tls(_))));
        let missing = Trust { fingerprint: None, ca_file: Some("/nonexistent.pem".into()) };
        assert!(missing.client_config("https://h").unwrap_err().to_string().contains("/nonexistent.pem"));
        assert!(Trust::default().client_config("http://127.0.0.1:1").unwrap().is_none());
    }
}
