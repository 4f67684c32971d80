//! The server side: a rustls `ServerConfig` from PEM, and `TlsListener`, an `axum::serve`
//! listener that accepts TCP connections and hands axum only those whose TLS handshake finished.
//! Each handshake runs in its own task with a timeout, so a slow or silent client never holds up
//! the others; axum's graceful shutdown works as with a plain `TcpListener` (dropping the
//! listener aborts the handshakes still running).
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::{certs_from_pem, key_from_pem, provider, TlsError};

/// How long a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in flight at most; further connections wait in the kernel's accept queue.
const MAX_PENDING_HANDSHAKES: usize = 256;

/// A server config presenting `cert_pem` (a certificate or a chain, leaf first) with `key_pem`,
/// HTTP/1.1 only (as the router). A key that does not belong to the certificate is refused.
pub fn server_config(cert_pem: &str, key_pem: &str) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = certs_from_pem(cert_pem, "the TLS certificate")?;
    let key = key_from_pem(key_pem, "the TLS private key")?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::Config("the private key does not match the certificate".into()),
            e => TlsError::Config(format!("the certificate or private key is not usable: {e}")),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `axum::serve(TlsListener::new(tcp, config), router)`: HTTPS on an already bound listener.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> TlsListener {
        TlsListener { tcp, acceptor: TlsAcceptor::from(config), handshakes: JoinSet::new() }
    }

    fn start_handshake(&mut self, tcp: TcpStream, addr: SocketAddr) {
        let acceptor = self.acceptor.clone();
        self.handshakes.spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => Some((stream, addr)),
                Ok(Err(e)) => {
                    tracing::debug!(%addr, %e, "TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::debug!(%addr, "TLS handshake timed out");
                    None
                }
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    // Cancel-safe (axum selects it against the shutdown signal): both awaited futures are, and
    // an accepted connection is in `handshakes` before the next await.
    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let room = self.handshakes.len() < MAX_PENDING_HANDSHAKES;
            let pending = !self.handshakes.is_empty();
            tokio::select! {
                accepted = self.tcp.accept(), if room => match accepted {
                    Ok((tcp, addr)) => self.start_handshake(tcp, addr),
                    Err(e) => accept_error(e).await,
                },
                Some(done) = self.handshakes.join_next(), if pending => {
                    if let Ok(Some(connection)) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// As axum's own listener: a connection that failed before accept is skipped; anything else
/// (such as too many open files) is logged and retried after a pause.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(%e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
