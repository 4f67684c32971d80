//! The client side: rustls `ClientConfig`s for reqwest's `use_preconfigured_tls`, and the words
//! for a refused certificate.
//!
//! A pin accepts exactly the server certificate whose SHA-256 is the pinned fingerprint: no CA,
//! name or validity check (the pin replaces them), but the handshake's signatures are verified
//! as usual, so only the holder of the certificate's key gets through.
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::{certs_from_pem, fingerprint_of_der, normalize_fingerprint, provider, TlsError};

/// The server presented another certificate than the pinned one.
#[derive(Debug, thiserror::Error)]
#[error("the server presented a certificate with SHA-256 fingerprint {presented}, not the pinned {pinned}")]
pub struct PinMismatch {
    pub presented: String,
    pub pinned: String,
}

#[derive(Debug)]
struct PinnedCertificate {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint_of_der(end_entity);
        if presented == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            let mismatch = PinMismatch { presented, pinned: self.fingerprint.clone() };
            Err(CertificateError::Other(rustls::OtherError(Arc::new(mismatch))).into())
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

fn builder() -> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>, TlsError> {
    rustls::ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions().map_err(|e| TlsError::Config(e.to_string()))
}

fn http1(mut config: rustls::ClientConfig) -> rustls::ClientConfig {
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// Trusts exactly the certificate with this fingerprint (colons and case as typed).
pub fn pinned_client_config(fingerprint: &str) -> Result<rustls::ClientConfig, TlsError> {
    let verifier = PinnedCertificate { fingerprint: normalize_fingerprint(fingerprint)?, provider: provider() };
    Ok(http1(builder()?.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()))
}

/// Trusts the certificates in `pem` (a CA, or a self-signed server certificate) as roots, with
/// the usual name and validity checks. `what` names the file in errors.
pub fn roots_client_config(pem: &str, what: &str) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs_from_pem(pem, what)? {
        roots.add(cert).map_err(|e| TlsError::Pem { what: what.to_string(), message: format!("not usable as a trust anchor: {e}") })?;
    }
    Ok(http1(builder()?.with_root_certificates(roots).with_no_client_auth()))
}

/// When `error` (e.g. a reqwest error) failed on the server's certificate, what happened in
/// words: the presented fingerprint for a pin mismatch, otherwise rustls' reason.
pub fn certificate_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(e) = next {
        // io::Errors nest (hyper wraps tokio-rustls' error) and hide their inner error from source().
        let mut candidate = e;
        loop {
            if let Some(rustls::Error::InvalidCertificate(cert_error)) = candidate.downcast_ref::<rustls::Error>() {
                return Some(describe(cert_error));
            }
            match candidate.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
                Some(inner) => candidate = inner,
                None => break,
            }
        }
        next = e.source();
    }
    None
}

fn describe(cert_error: &CertificateError) -> String {
    match cert_error {
        CertificateError::Other(other) => match other.0.downcast_ref::<PinMismatch>() {
            Some(mismatch) => mismatch.to_string(),
            None => format!("the server's certificate was refused: {}", other.0),
        },
        CertificateError::UnknownIssuer => {
            "the server's certificate is not signed by a trusted authority (self-signed?): pin it with its SHA-256 fingerprint, as `mirrorvault serve` prints it".to_string()
        }
        other => format!("the server's certificate was refused: {other}"),
    }
}
