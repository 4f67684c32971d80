"""Drives a running mirrorvault backend with the official Alibaba Cloud SDKs, only the endpoint
and access key changed. Usage: official_sdks.py ENDPOINT(host:port) KEY_ID KEY_SECRET
Exits non-zero (with the reason) when any expectation fails."""
import json
import sys
import time

from alibabacloud_hbr20170908.client import Client as HbrClient
from alibabacloud_hbr20170908 import models as hbr
from alibabacloud_tea_openapi import models as open_api_models
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkcore.acs_exception.exceptions import ServerException

endpoint, key_id, secret = sys.argv[1], sys.argv[2], sys.argv[3]

# --- Tea SDK (ACS3-HMAC-SHA256) ---
cfg = open_api_models.Config(access_key_id=key_id, access_key_secret=secret, endpoint=endpoint, protocol="http", region_id="cn-hangzhou")
tea = HbrClient(cfg)


def expect_error(fn, code):
    try:
        fn()
    except Exception as e:  # Tea raises TeaException / ClientException with .code
        got = getattr(e, "code", None)
        assert got == code, f"expected {code}, got {got}: {e}"
        return
    raise AssertionError(f"expected error {code}, call succeeded")


def wait_created(vault_id):
    for _ in range(200):
        r = tea.describe_vaults(hbr.DescribeVaultsRequest(vault_id=vault_id))
        vs = r.body.vaults.vault
        if vs and vs[0].status == "CREATED":
            return vs[0]
        time.sleep(0.05)
    raise AssertionError(f"vault {vault_id} not CREATED")


src = tea.create_vault(hbr.CreateVaultRequest(vault_region_id="cn-hangzhou", vault_name="sdk-source", description="via Tea SDK")).body
assert src.success and src.vault_id.startswith("v-"), src
wait_created(src.vault_id)
mirror = tea.create_replication_vault(hbr.CreateReplicationVaultRequest(
    vault_region_id="cn-shanghai", vault_name="sdk-mirror", description="mirror",
    replication_source_vault_id=src.vault_id, replication_source_region_id="cn-hangzhou")).body
assert mirror.vault_id and mirror.task_id, mirror
task = tea.describe_task(hbr.DescribeTaskRequest(task_id=mirror.task_id)).body
assert task.success and task.description.startswith("initialize vault"), task.to_map()
m = wait_created(mirror.vault_id)
assert m.replication is True and m.replication_source_vault_id == src.vault_id and m.replication_source_region_id == "cn-hangzhou", m
assert m.replication_progress.historical_replication_progress == 100, m.replication_progress
listed = tea.describe_vaults(hbr.DescribeVaultsRequest(page_size=50)).body
assert listed.total_count >= 2 and listed.page_number == 1
s = [v for v in listed.vaults.vault if v.vault_id == src.vault_id][0]
assert s.replication_source_vault is True and s.replication_target_vault_id == mirror.vault_id and s.replication_target_region_id == "cn-shanghai", s
regions = tea.describe_vault_replication_regions(hbr.DescribeVaultReplicationRegionsRequest(vault_id=src.vault_id)).body
assert "cn-hangzhou" not in regions.regions.region_id and "cn-shanghai" in regions.regions.region_id, regions

expect_error(lambda: tea.create_replication_vault(hbr.CreateReplicationVaultRequest(
    vault_region_id="cn-beijing", vault_name="second", replication_source_vault_id=src.vault_id,
    replication_source_region_id="cn-hangzhou")), "ReplicationVaultAlreadyExists")
other = tea.create_vault(hbr.CreateVaultRequest(vault_region_id="cn-beijing", vault_name="other")).body
wait_created(other.vault_id)
expect_error(lambda: tea.create_replication_vault(hbr.CreateReplicationVaultRequest(
    vault_region_id="cn-beijing", vault_name="same-region", replication_source_vault_id=other.vault_id,
    replication_source_region_id="cn-beijing")), "InvalidReplicationRegion")
expect_error(lambda: tea.delete_vault(hbr.DeleteVaultRequest(vault_id=src.vault_id)), "CannotDeleteReplicationSourceVault")
assert tea.delete_vault(hbr.DeleteVaultRequest(vault_id=mirror.vault_id)).body.success
assert tea.delete_vault(hbr.DeleteVaultRequest(vault_id=src.vault_id)).body.success
assert tea.delete_vault(hbr.DeleteVaultRequest(vault_id=other.vault_id)).body.success
print("tea sdk (ACS3-HMAC-SHA256): ok")

# --- aliyun-python-sdk-core CommonRequest (RPC HMAC-SHA1) ---
acs = AcsClient(key_id, secret, "cn-hangzhou")


def common(action, method="POST", **params):
    r = CommonRequest()
    r.set_accept_format("json")
    r.set_domain(endpoint)
    r.set_protocol_type("http")
    r.set_method(method)
    r.set_version("2017-09-08")
    r.set_action_name(action)
    for k, v in params.items():
        r.add_query_param(k, v)
    return json.loads(acs.do_action_with_exception(r))


src = common("CreateVault", VaultRegionId="cn-hangzhou", VaultName="core-source")
wait_created(src["VaultId"])
mir = common("CreateReplicationVault", VaultRegionId="cn-beijing", VaultName="core-mirror",
             ReplicationSourceVaultId=src["VaultId"], ReplicationSourceRegionId="cn-hangzhou")
wait_created(mir["VaultId"])
listed = common("DescribeVaults", method="GET", VaultId=mir["VaultId"])
v = listed["Vaults"]["Vault"][0]
assert v["Replication"] is True and v["ReplicationSourceVaultId"] == src["VaultId"], v
for action, params, code in [
    ("CreateReplicationVault", dict(VaultRegionId="cn-shanghai", VaultName="x", ReplicationSourceVaultId=src["VaultId"]), "ReplicationVaultAlreadyExists"),
    ("DeleteVault", dict(VaultId=src["VaultId"]), "CannotDeleteReplicationSourceVault"),
]:
    try:
        common(action, **params)
        raise AssertionError(f"{action} should fail with {code}")
    except ServerException as e:
        assert e.get_error_code() == code, (action, e.get_error_code(), e.get_error_msg())
common("DeleteVault", VaultId=mir["VaultId"])
common("DeleteVault", VaultId=src["VaultId"])
print("aliyun-python-sdk-core (RPC HMAC-SHA1): ok")
