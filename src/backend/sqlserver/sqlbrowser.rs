//! Minimal SQL Server Browser (SSRP, UDP 1434) client: resolves the TCP port
//! of a named instance (`host\instance`). tiberius only offers this behind a
//! feature we do not enable, so it is done here.

use super::SqlError;
use std::time::Duration;
use tokio::net::UdpSocket;

const BROWSER_PORT: u16 = 1434;
/// CLNT_UCAST_INST request.
const CLNT_UCAST_INST: u8 = 0x04;
/// SVR_RESP response.
const SVR_RESP: u8 = 0x05;

/// Builds the unicast instance request.
pub(crate) fn request(instance: &str) -> Vec<u8> {
    let mut msg = Vec::with_capacity(instance.len() + 2);
    msg.push(CLNT_UCAST_INST);
    msg.extend_from_slice(instance.as_bytes());
    msg.push(0);
    msg
}

/// Extracts the TCP port of `instance` from a SVR_RESP datagram.
pub(crate) fn parse_response(buf: &[u8], instance: &str) -> Option<u16> {
    if buf.len() < 3 || buf[0] != SVR_RESP {
        return None;
    }
    let text = String::from_utf8_lossy(&buf[3..]);
    // Records are separated by ";;"; fields are "key;value;key;value...".
    for record in text.split(";;") {
        let fields: Vec<&str> = record.split(';').collect();
        let mut name = None;
        let mut tcp = None;
        for pair in fields.chunks(2) {
            if let [k, v] = pair {
                if k.eq_ignore_ascii_case("InstanceName") {
                    name = Some(*v);
                } else if k.eq_ignore_ascii_case("tcp") {
                    tcp = v.trim().parse::<u16>().ok();
                }
            }
        }
        if name.is_some_and(|n| n.eq_ignore_ascii_case(instance)) {
            return tcp;
        }
    }
    None
}

/// Asks the SQL Server Browser on `host` for the TCP port of `instance`.
pub(crate) async fn resolve_instance_port(host: &str, instance: &str, timeout: Duration) -> Result<u16, SqlError> {
    let fail = |why: String| {
        SqlError::Connect(format!(
            "cannot resolve instance {instance:?} on {host} through SQL Server Browser (UDP {BROWSER_PORT}): {why}; \
             give the port explicitly as host,port"
        ))
    };
    let fut = async {
        let sock = UdpSocket::bind("0.0.0.0:0").await?;
        sock.connect((host, BROWSER_PORT)).await?;
        sock.send(&request(instance)).await?;
        let mut buf = vec![0u8; 4096];
        let n = sock.recv(&mut buf).await?;
        buf.truncate(n);
        Ok::<_, std::io::Error>(buf)
    };
    let buf = match tokio::time::timeout(timeout, fut).await {
        Err(_) => return Err(fail("no answer".into())),
        Ok(Err(e)) => return Err(fail(e.to_string())),
        Ok(Ok(buf)) => buf,
    };
    parse_response(&buf, instance).ok_or_else(|| fail("instance not listed or has no TCP port".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_request() {
        assert_eq!(request("SQLEXPRESS"), b"\x04SQLEXPRESS\0".to_vec());
    }

    #[test]
    fn parses_response() {
        let body = b"ServerName;HOST1;InstanceName;SQLEXPRESS;IsClustered;No;Version;15.0.2000.5;tcp;49721;;";
        let mut dgram = vec![SVR_RESP];
        dgram.extend_from_slice(&(body.len() as u16).to_le_bytes());
        dgram.extend_from_slice(body);
        assert_eq!(parse_response(&dgram, "sqlexpress"), Some(49721));
        assert_eq!(parse_response(&dgram, "OTHER"), None);
        assert_eq!(parse_response(b"\x05", "SQLEXPRESS"), None);
        assert_eq!(parse_response(b"", "SQLEXPRESS"), None);
        let no_tcp = b"\x05\x00\x00ServerName;H;InstanceName;X;IsClustered;No;np;\\\\H\\pipe\\sql\\query;;";
        assert_eq!(parse_response(no_tcp, "X"), None);
    }
}
