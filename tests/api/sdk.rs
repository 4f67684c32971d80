//! The official Python SDKs against the real server, with only the endpoint and key changed.
//! Needs a Python with `alibabacloud-hbr20170908` and `aliyun-python-sdk-core`: set
//! MIRRORVAULT_SDK_PYTHON to it (`.ci/run` makes such a venv). Without it the test says so and
//! passes without running.
use crate::support::{creds, TestServer};

#[tokio::test]
async fn official_python_sdks_work_with_only_the_endpoint_changed() {
    let Ok(python) = std::env::var("MIRRORVAULT_SDK_PYTHON") else {
        eprintln!("skipped: MIRRORVAULT_SDK_PYTHON not set (a python with alibabacloud-hbr20170908 and aliyun-python-sdk-core)");
        return;
    };
    let t = TestServer::start().await;
    let host = t.endpoint().trim_start_matches("http://").to_string();
    let c = creds();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/official_sdks.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(&host)
        .arg(&c.access_key_id)
        .arg(&c.access_key_secret)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "SDK script failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("tea sdk (ACS3-HMAC-SHA256): ok") && stdout.contains("aliyun-python-sdk-core (RPC HMAC-SHA1): ok"), "{stdout}");
    assert!(stdout.contains("tea sdk typed models (issue 16): ok"), "{stdout}");
    assert!(stdout.contains("tea sdk backup plans (issue 16): ok"), "{stdout}");
}
