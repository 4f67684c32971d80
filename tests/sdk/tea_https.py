"""The official Tea SDK over HTTPS against a mirrorvault backend serving its self-signed
certificate: protocol="https" and the certificate trusted through the Tea runtime option `ca`,
with verification on. Usage: tea_https.py ENDPOINT(host:port) KEY_ID KEY_SECRET CA_FILE
Exits non-zero (with the reason) when any expectation fails."""
import sys

from alibabacloud_hbr20170908.client import Client as HbrClient
from alibabacloud_hbr20170908 import models as hbr
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util.models import RuntimeOptions

endpoint, key_id, secret, ca_file = sys.argv[1:5]
cfg = open_api_models.Config(access_key_id=key_id, access_key_secret=secret, endpoint=endpoint, protocol="https", region_id="cn-hangzhou")
tea = HbrClient(cfg)
request = hbr.DescribeVaultsRequest(page_size=10)

# Without the certificate trusted the handshake must fail: verification is on.
try:
    tea.describe_vaults_with_options(request, RuntimeOptions(max_attempts=1, autoretry=False))
except Exception as e:
    assert "CERTIFICATE_VERIFY_FAILED" in str(e) or "certificate verify failed" in str(e), f"expected a certificate verification failure, got: {e}"
else:
    raise AssertionError("the self-signed certificate was accepted without being trusted")

r = tea.describe_vaults_with_options(request, RuntimeOptions(ca=ca_file)).body
assert r.success and r.page_number == 1 and r.total_count == len(r.vaults.vault), r.to_map()
print(f"tea sdk over https (DescribeVaults, {r.total_count} vaults): ok")
