//! RPC signature v1 (HMAC-SHA1), as aliyun-python-sdk-core's CommonRequest signs:
//! StringToSign = METHOD & %2F & encode(sorted k=v of all parameters but Signature);
//! Signature = Base64(HMAC-SHA1(secret + "&", StringToSign)).
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::encode::{canonical_query, percent_encode};

/// The Base64 signature of a parameter set (`Signature` itself is skipped).
pub fn sign<'a>(method: &str, secret: &str, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let canonical = canonical_query(params.into_iter().filter(|(k, _)| *k != "Signature"));
    let string_to_sign = format!("{method}&{}&{}", percent_encode("/"), percent_encode(&canonical));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
