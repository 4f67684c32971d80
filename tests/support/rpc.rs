//! Hand-built RPC v1 (HMAC-SHA1) requests, as aliyun-python-sdk-core sends them.
use std::time::SystemTime;

/// A signed RPC v1 (HMAC-SHA1) request's parameters as aliyun-python-sdk-core sends them: the
/// protocol parameters, then `extra` (a protocol key given again in `extra` is ignored, and of
/// a key given twice the last value counts, as on the server, so what is signed is what it sees).
pub fn rpc_signed(action: &str, extra: &[(String, String)], secret: &str, key_id: &str, nonce: &str, time: SystemTime, method: &str) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Version".into(), "2017-09-08".into()),
        ("Format".into(), "JSON".into()),
        ("AccessKeyId".into(), key_id.into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        ("SignatureNonce".into(), nonce.into()),
        ("Timestamp".into(), humantime::format_rfc3339_seconds(time).to_string()),
    ];
    for (k, v) in extra {
        if !p.iter().any(|(pk, _)| pk == k) {
            p.push((k.clone(), v.clone()));
        }
    }
    let dedup: std::collections::BTreeMap<String, String> = p.into_iter().collect();
    let mut p: Vec<(String, String)> = dedup.into_iter().collect();
    let sig = mirrorvault::signing::rpc::sign(method, secret, p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    p.push(("Signature".into(), sig));
    p
}

/// `k=v&…`, percent-encoded as the RPC dialect wants.
pub fn query(p: &[(String, String)]) -> String {
    use mirrorvault::signing::encode::percent_encode;
    p.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}
