//! TLS for the HTTP API (issue 17): the certificates `serve` presents and how clients trust them.
//!
//! - this file: PEM parsing, SHA-256 fingerprints (over the DER of the first certificate,
//!   lowercase hex, no colons) and the self-signed certificate `DATA/tls/cert.pem` +
//!   `DATA/tls/key.pem` (key 0600), generated on first use and reused afterwards;
//! - `server.rs`: the rustls `ServerConfig` and `TlsListener`, the `axum::serve` listener that
//!   runs each handshake in its own task;
//! - `pin.rs`: the client side: a verifier accepting exactly the certificate with a pinned
//!   fingerprint, and a config trusting the certificates of a PEM file.
//!
//! Every config uses rustls' `ring` provider, the one reqwest's rustls is built with (no
//! process-wide default provider is installed or needed).
mod pin;
mod server;

pub use pin::{certificate_failure, pinned_client_config, roots_client_config, PinMismatch};
pub use server::{server_config, TlsListener};

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

/// The self-signed certificate's file in `DATA/tls/`.
pub const SELF_SIGNED_CERT: &str = "cert.pem";
/// Its private key (mode 0600).
pub const SELF_SIGNED_KEY: &str = "key.pem";
/// How long a generated certificate is valid.
const SELF_SIGNED_DAYS: i64 = 3650;

/// Why a certificate, key or TLS config could not be used. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {message}")]
    Pem { what: String, message: String },
    #[error("cannot generate the self-signed certificate: {0}")]
    Generate(String),
    #[error("TLS configuration: {0}")]
    Config(String),
    #[error("invalid certificate fingerprint {0:?}: expected the 64 hex digits of a SHA-256 fingerprint (colons allowed)")]
    Fingerprint(String),
}

/// The rustls crypto provider of every config made here.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// SHA-256 of a certificate's DER, lowercase hex.
pub fn fingerprint_of_der(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// The fingerprint of the first certificate in `pem` (the leaf of a chain).
pub fn fingerprint_of_pem(pem: &str) -> Result<String, TlsError> {
    let first = certs_from_pem(pem, "certificate")?.into_iter().next().expect("certs_from_pem returns at least one");
    Ok(fingerprint_of_der(&first))
}

/// A fingerprint as typed (`AB:CD:…` or `abcd…`, any case) in the form this module prints.
pub fn normalize_fingerprint(text: &str) -> Result<String, TlsError> {
    let hex: String = text.trim().chars().filter(|c| *c != ':').collect::<String>().to_ascii_lowercase();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(TlsError::Fingerprint(text.to_string()))
    }
}

/// Every certificate in `pem`, in order; at least one. `what` names the source in errors.
pub fn certs_from_pem(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem { what: what.to_string(), message: e.to_string() })?;
    if certs.is_empty() {
        return Err(TlsError::Pem { what: what.to_string(), message: "no CERTIFICATE block".into() });
    }
    Ok(certs)
}

/// The private key in `pem` (PKCS#8, SEC1 or PKCS#1). Errors name `what`, never the key.
pub fn key_from_pem(pem: &str, what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| {
        let message = match e {
            rustls_pki_types::pem::Error::NoItemsFound => "no PRIVATE KEY block".to_string(),
            _ => "not a readable PEM private key".to_string(),
        };
        TlsError::Pem { what: what.to_string(), message }
    })
}

/// Reads a PEM certificate (chain) and key given to `serve --tls-cert/--tls-key`.
pub fn load_pem_files(cert: &Path, key: &Path) -> Result<(String, String), TlsError> {
    let read = |path: &Path| std::fs::read_to_string(path).map_err(|source| TlsError::Io { path: path.to_path_buf(), source });
    Ok((read(cert)?, read(key)?))
}

/// The data dir's self-signed certificate and key (PEM): read from `DATA/tls/` when both files
/// exist, otherwise generated there (ECDSA P-256; SANs `localhost`, `127.0.0.1`, `::1`, this
/// host's name and `listen` unless it is unspecified; valid 10 years). A later start on another
/// address reuses it unchanged: a pinned fingerprint does not depend on names.
pub fn load_or_create_self_signed(data_dir: &Path, listen: IpAddr) -> Result<(String, String), TlsError> {
    let dir = data_dir.join("tls");
    let (cert_path, key_path) = (dir.join(SELF_SIGNED_CERT), dir.join(SELF_SIGNED_KEY));
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {
            let (cert, key) = load_pem_files(&cert_path, &key_path)?;
            certs_from_pem(&cert, &cert_path.display().to_string())?;
            key_from_pem(&key, &key_path.display().to_string())?;
            return Ok((cert, key));
        }
        (false, false) => {}
        (true, false) | (false, true) => {
            return Err(TlsError::Config(format!(
                "{} holds only one of {SELF_SIGNED_CERT} and {SELF_SIGNED_KEY}: restore the other, or remove both to generate a new certificate (its fingerprint changes)",
                dir.display()
            )))
        }
    }
    let (cert, key) = generate_self_signed(listen)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TlsError::Io { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    // The key first: a crash in between leaves only the key, which the check above reports.
    crate::platform::write_private(&key_path, key.as_bytes()).map_err(io(&key_path))?;
    std::fs::write(&cert_path, cert.as_bytes()).map_err(io(&cert_path))?;
    tracing::info!(cert = %cert_path.display(), "generated a self-signed TLS certificate");
    Ok((cert, key))
}

/// A new self-signed server certificate and its key, both PEM. Marked as an end entity
/// (basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage serverAuth, subject
/// and authority key identifiers), so that OpenSSL (Python's `ssl`, strict flags included) and
/// webpki accept it as its own trust anchor.
pub fn generate_self_signed(listen: IpAddr) -> Result<(String, String), TlsError> {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType};
    let err = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut sans = vec![SanType::DnsName("localhost".try_into().map_err(err)?)];
    if let Some(host) = host_name().filter(|h| h != "localhost") {
        // A host name that is not a valid DNS name (IA5) is left out rather than failing.
        if let Ok(name) = host.as_str().try_into() {
            sans.push(SanType::DnsName(name));
        }
    }
    let mut ips: Vec<IpAddr> = vec![[127, 0, 0, 1].into(), std::net::Ipv6Addr::LOCALHOST.into()];
    if !listen.is_unspecified() && !ips.contains(&listen) {
        ips.push(listen);
    }
    sans.extend(ips.into_iter().map(SanType::IpAddress));

    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "mirrorvault self-signed");
    params.subject_alt_names = sans;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(SELF_SIGNED_DAYS);
    let mut serial = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut serial);
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));

    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
    let cert = params.self_signed(&key).map_err(err)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// This host's name, for the certificate's SANs: `/etc/hostname` (Linux), else `HOSTNAME`.
fn host_name() -> Option<String> {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_sha256_of_the_first_certificate() {
        let (cert, _) = generate_self_signed("127.0.0.1".parse().unwrap()).unwrap();
        let (other, _) = generate_self_signed("127.0.0.1".parse().unwrap()).unwrap();
        let der = certs_from_pem(&cert, "test").unwrap().remove(0);
        let fp = fingerprint_of_pem(&cert).unwrap();
        assert_eq!(fp, hex::encode(Sha256::digest(&der)));
        assert_eq!(fp.len(), 64);
        assert!(fp.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{fp}");
        assert_eq!(fingerprint_of_pem(&format!("{cert}{other}")).unwrap(), fp, "a chain's fingerprint is its first certificate's");
        assert_ne!(fingerprint_of_pem(&other).unwrap(), fp);
        assert!(matches!(fingerprint_of_pem("no pem here"), Err(TlsError::Pem { .. })));
    }

    #[test]
    fn fingerprints_are_accepted_with_colons_in_any_case() {
        let fp = "ab".repeat(32);
        let colons = fp.to_uppercase().as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(":");
        assert_eq!(normalize_fingerprint(&colons).unwrap(), fp);
        assert_eq!(normalize_fingerprint(&format!(" {fp}\n")).unwrap(), fp);
        for bad in ["", "abc", &"zz".repeat(32), &"ab".repeat(33)] {
            assert!(matches!(normalize_fingerprint(bad), Err(TlsError::Fingerprint(_))), "{bad:?}");
        }
    }

    #[test]
    fn the_self_signed_certificate_is_made_once_then_reused_with_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = load_or_create_self_signed(dir.path(), "10.1.2.3".parse().unwrap()).unwrap();
        let (again, key_again) = load_or_create_self_signed(dir.path(), "0.0.0.0".parse().unwrap()).unwrap();
        assert_eq!((fingerprint_of_pem(&again).unwrap(), &key_again), (fingerprint_of_pem(&cert).unwrap(), &key));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("tls").join(SELF_SIGNED_KEY)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        server_config(&cert, &key).expect("the generated pair makes a server config");
        std::fs::remove_file(dir.path().join("tls").join(SELF_SIGNED_CERT)).unwrap();
        let e = load_or_create_self_signed(dir.path(), "127.0.0.1".parse().unwrap()).unwrap_err();
        assert!(e.to_string().contains("only one of"), "{e}");
    }

    #[test]
    fn a_mismatched_or_unreadable_key_is_refused_without_showing_it() {
        let (cert, _) = generate_self_signed("127.0.0.1".parse().unwrap()).unwrap();
        let (_, other_key) = generate_self_signed("127.0.0.1".parse().unwrap()).unwrap();
        let e = server_config(&cert, &other_key).unwrap_err().to_string();
        assert!(e.contains("does not match"), "{e}");
        let garbled = other_key.replace("MI", "??");
        let e = server_config(&cert, &garbled).unwrap_err().to_string();
        assert!(!e.contains(garbled.lines().nth(1).unwrap()), "the key's bytes must not appear: {e}");
    }
}
