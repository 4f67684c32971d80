//! No panic reaches a connection: request input that used to panic a handler (a `ServerName`
//! with a multi-byte character where the `tcp:` prefix would end) is answered 400 through the
//! real signed HTTP client, and the server keeps answering afterwards. (The 500 answer of the
//! catch-panic layer itself is tested in `src/backend/server/panic.rs`.)
use crate::support::{code, TestServer};

#[tokio::test]
async fn a_multibyte_server_name_is_refused_not_a_dropped_connection() {
    let t = TestServer::start().await;
    for name in ["ab€x", "tcp:ab€x", "ab€x,1433", "€"] {
        let params = [("Engine", "TDS".to_string()), ("ServerName", name.to_string()), ("SqlLogin", "sa".to_string())];
        let e = t.client.call::<serde_json::Value>("PrecheckSqlServerInstance", &params).await.unwrap_err();
        let (code_, status) = code(&e);
        assert_eq!((code_, status), ("InvalidParameter", 400), "{name}: {e:?}");
    }
    // the server is still there
    t.client.health().await.expect("the backend still answers");
}
