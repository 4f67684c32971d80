//! An in-process S3 server (s3s-fs) on 127.0.0.1:0: each bucket is a directory under its root
//! and each object a file in it, so a test can damage an object on disk.
use std::net::SocketAddr;
use std::path::Path;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use mirrorvault::backend::storage::LocationConfig;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;

pub const AK: &str = "test-access-key";
pub const SK: &str = "test-secret-key-0123456789";

/// Serves `root` (which must exist) until the test's runtime ends; returns its address.
pub async fn start_s3(root: &Path) -> SocketAddr {
    let fs = s3s_fs::FileSystem::new(root).unwrap();
    let mut b = S3ServiceBuilder::new(fs);
    b.set_auth(SimpleAuth::from_single(AK, SK));
    let service = b.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else { continue };
            let conn = http.serve_connection(TokioIo::new(socket), service.clone()).into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    addr
}

/// A location in `bucket` (a directory under the server's root) below `prefix`.
pub fn s3_cfg(addr: SocketAddr, bucket: &str, prefix: &str) -> LocationConfig {
    LocationConfig::S3 {
        endpoint: format!("http://{addr}"),
        bucket: bucket.into(),
        prefix: prefix.into(),
        access_key_id: AK.into(),
        secret_access_key: SK.into(),
        region: Some("us-east-1".into()),
        allow_http: true,
    }
}
