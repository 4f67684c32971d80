"""Drives a running mirrorvault backend with the official Alibaba Cloud SDKs, only the endpoint
and access key changed. Usage: official_sdks.py ENDPOINT(host:port) KEY_ID KEY_SECRET
Exits non-zero (with the reason) when any expectation fails."""
import json
import os
import sys
import tempfile
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

# --- issue 16: SDK users' scripts, through the Tea SDK's typed models ---
data = tempfile.mkdtemp(prefix="mv-sdk-")
for i in range(3):
    with open(os.path.join(data, f"f{i}.txt"), "w") as f:
        f.write(f"file {i}\n" * (i + 1))


def wait_job(job_id):
    for _ in range(600):
        r = tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[hbr.DescribeBackupJobs2RequestFilters(key="JobId", operator="EQUAL", values=[job_id])])).body
        if r.backup_jobs.backup_job and r.backup_jobs.backup_job[0].status in ("COMPLETE", "FAILED", "CANCELED"):
            return r.backup_jobs.backup_job[0]
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


# 1. A vault is usable when the call that made it answers: create, then back up at once.
clients, jobs = [], []
for i in range(5):
    v = tea.create_vault(hbr.CreateVaultRequest(vault_region_id="cn-hangzhou", vault_name=f"sdk-quick-{i}")).body
    c = common("CreateBackupClient", ClientName=f"sdk-quick-{i}", VaultId=v.vault_id, VaultRegionId="cn-hangzhou")
    job = tea.create_backup_job(hbr.CreateBackupJobRequest(vault_id=v.vault_id, instance_id=c["ClientId"], source_type="File", include=json.dumps([data]))).body
    assert job.success and job.job_id, job.to_map()
    clients.append((v.vault_id, c["ClientId"]))
    jobs.append(job.job_id)
    time.sleep(1.05 if i < 2 else 0)  # distinct CreatedTime seconds for the first three
for j in jobs:
    assert wait_job(j).status == "COMPLETE", j

# 2. DescribeBackupJobs2 Filters / SortDirection / SourceType.
F = hbr.DescribeBackupJobs2RequestFilters
r = tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="InstanceId", operator="IN", values=[clients[0][1], clients[1][1]])], sort_direction="ASCEND", source_type="ECS_FILE")).body
assert [b.job_id for b in r.backup_jobs.backup_job] == jobs[:2] and r.total_count == 2, r.to_map()
r = tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="VaultId", operator="EQUAL", values=[clients[2][0]]), F(key="Status", values=["COMPLETE"])])).body
assert [b.job_id for b in r.backup_jobs.backup_job] == [jobs[2]], r.to_map()
first = tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="JobId", operator="EQUAL", values=[jobs[0]])])).body.backup_jobs.backup_job[0]
r = tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="CreatedTime", operator="GREATER_THAN", values=[str(first.created_time)]), F(key="JobId", operator="IN", values=jobs)], sort_direction="DESCEND")).body
assert jobs[0] not in [b.job_id for b in r.backup_jobs.backup_job] and r.total_count == 4, r.to_map()
r = tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="PlanId", operator="EQUAL", values=["po-none"])])).body
assert r.total_count == 0, r.to_map()
expect_error(lambda: tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="Colour", operator="EQUAL", values=["x"])])), "InvalidParameter")
expect_error(lambda: tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="JobId", operator="LIKE", values=["x"])])), "InvalidParameter")

# 4. CreateRestoreJob in the Tea model's shape, then DescribeRestoreJobs2 by Filters.
vault_id, client_id = clients[0]
snap = common("DescribeSnapshots", method="GET", VaultId=vault_id)["Snapshots"]["Snapshot"][0]["SnapshotId"]
target = tempfile.mkdtemp(prefix="mv-sdk-restore-")
rj = tea.create_restore_job(hbr.CreateRestoreJobRequest(vault_id=vault_id, snapshot_id=snap, restore_type="ECS_FILE", source_type="ECS_FILE",
                                                         target_instance_id=client_id, target_path=target, include=json.dumps([data]))).body
assert rj.success and rj.restore_id, rj.to_map()
RF = hbr.DescribeRestoreJobs2RequestFilters
for _ in range(600):
    rr = tea.describe_restore_jobs_2(hbr.DescribeRestoreJobs2Request(filters=[RF(key="JobId", operator="EQUAL", values=[rj.restore_id])], restore_type="ECS_FILE")).body
    if rr.restore_jobs.restore_job and rr.restore_jobs.restore_job[0].status in ("COMPLETE", "FAILED"):
        break
    time.sleep(0.05)
assert rr.restore_jobs.restore_job[0].status == "COMPLETE", rr.to_map()
with open(os.path.join(target, data.lstrip("/"), "f2.txt")) as f:
    assert f.read() == "file 2\n" * 3
rr = tea.describe_restore_jobs_2(hbr.DescribeRestoreJobs2Request(filters=[RF(key="InstanceId", operator="IN", values=[client_id])])).body
assert rr.total_count == 1, rr.to_map()
expect_error(lambda: tea.create_restore_job(hbr.CreateRestoreJobRequest(vault_id=vault_id, snapshot_id=snap, restore_type="ECS_FILE",
                                                                        target_instance_id="c-nosuchclient", target_path=target + "-x")), "ClientNotFound")

# 5. DescribeBackupClients: the real top-level Clients[].
bc = tea.describe_backup_clients(hbr.DescribeBackupClientsRequest(client_type="ECS_CLIENT", page_size=100)).body
ours = [c for c in bc.clients if c.client_id == client_id]
assert bc.total_count >= 5 and len(bc.clients) >= 5 and ours, bc.to_map()
assert ours[0].hostname and ours[0].client_version and ours[0].last_heart_beat_time > 0 and ours[0].status == "ACTIVATED", ours[0].to_map()

# 6. WORM and Retention are given: accepted, shown, WORM never turned off.
wv = tea.create_vault(hbr.CreateVaultRequest(vault_region_id="cn-hangzhou", vault_name="worm", worm_enabled=True)).body
assert wait_created(wv.vault_id).worm_enabled is True
expect_error(lambda: tea.update_vault(hbr.UpdateVaultRequest(vault_id=wv.vault_id, worm_enabled=False)), "WormCannotBeDisabled")
assert tea.update_vault(hbr.UpdateVaultRequest(vault_id=vault_id, worm_enabled=False, description="no worm")).body.success
kept = tea.create_backup_job(hbr.CreateBackupJobRequest(vault_id=vault_id, instance_id=client_id, source_type="File", include=json.dumps([data]), retention=7)).body
assert wait_job(kept.job_id).status == "COMPLETE"

# 7. SearchHistoricalSnapshots (Query as the Tea SDK encodes it), then DeleteSnapshot.
Q = lambda field, op, value: {"field": field, "operation": op, "value": value}
r = tea.search_historical_snapshots(hbr.SearchHistoricalSnapshotsRequest(source_type="ECS_FILE", query=[Q("VaultId", "MATCH_TERM", vault_id), Q("InstanceId", "IN", [client_id])], sort_by="CompleteTime", order="DESC", limit=1)).body
assert r.success and r.total_count == 2 and len(r.snapshots.snapshot) == 1 and r.next_token, r.to_map()
top = r.snapshots.snapshot[0]
kept_snap = top.snapshot_id
assert kept_snap != snap and top.job_id == kept.job_id and top.retention == 7 and top.expire_time == top.complete_time + 7 * 86400, top.to_map()
assert top.status == "COMPLETE" and top.paths.path == [data] and top.client_id == client_id and top.vault_id == vault_id, top.to_map()
r2 = tea.search_historical_snapshots(hbr.SearchHistoricalSnapshotsRequest(source_type="ECS_FILE", query=[Q("VaultId", "MATCH_TERM", vault_id)], order="DESC", limit=1, next_token=r.next_token)).body
assert [s.snapshot_id for s in r2.snapshots.snapshot] == [snap] and not r2.next_token, r2.to_map()
r3 = tea.search_historical_snapshots(hbr.SearchHistoricalSnapshotsRequest(source_type="ECS_FILE", query=[Q("CompleteTime", "BETWEEN", [top.complete_time, top.complete_time]), Q("VaultId", "MATCH_TERM", vault_id)])).body
assert [s.snapshot_id for s in r3.snapshots.snapshot] == [kept_snap], r3.to_map()
expect_error(lambda: tea.search_historical_snapshots(hbr.SearchHistoricalSnapshotsRequest(source_type="ECS_FILE", query=[Q("Colour", "MATCH_TERM", "x")])), "InvalidParameter")
assert tea.delete_snapshot(hbr.DeleteSnapshotRequest(vault_id=vault_id, snapshot_id=kept_snap, source_type="ECS_FILE", instance_id=client_id)).body.success
expect_error(lambda: tea.delete_snapshot(hbr.DeleteSnapshotRequest(vault_id=vault_id, snapshot_id=kept_snap, source_type="ECS_FILE")), "SnapshotNotFound")
r = tea.search_historical_snapshots(hbr.SearchHistoricalSnapshotsRequest(source_type="ECS_FILE", query=[Q("VaultId", "MATCH_TERM", vault_id)])).body
assert [s.snapshot_id for s in r.snapshots.snapshot] == [snap], r.to_map()
# The legacy SDK's CommonRequest: the same action, RPC-signed.
c2 = common("CreateBackupClient", ClientName="sdk-core-del", VaultId=wv.vault_id, VaultRegionId="cn-hangzhou")
wj = tea.create_backup_job(hbr.CreateBackupJobRequest(vault_id=wv.vault_id, instance_id=c2["ClientId"], source_type="File", include=json.dumps([data]))).body
assert wait_job(wj.job_id).status == "COMPLETE"
worm_snap = common("DescribeSnapshots", method="GET", VaultId=wv.vault_id)["Snapshots"]["Snapshot"][0]["SnapshotId"]
try:
    common("DeleteSnapshot", VaultId=wv.vault_id, SnapshotId=worm_snap, SourceType="ECS_FILE", ClientId=c2["ClientId"])
    raise AssertionError("DeleteSnapshot in a WORM vault should fail")
except ServerException as e:
    assert e.get_error_code() == "SnapshotWormProtected", (e.get_error_code(), e.get_error_msg())
print("tea sdk typed models (issue 16): ok")

# 7. Backup plans through the typed models: a schedule whose first slot is a few seconds away,
# interval PT20S -> it runs -> its job found by Filters PlanId/JobId -> its snapshot -> restore;
# disable stops runs, enable resumes, delete removes.
def plan_of(plan_id):
    r = tea.describe_backup_plans(hbr.DescribeBackupPlansRequest(source_type="ECS_FILE", filters=[hbr.DescribeBackupPlansRequestFilters(key="planId", values=[plan_id])])).body
    assert r.success and r.total_count == 1, r.to_map()
    return r.backup_plans.backup_plan[0]


def plan_jobs(plan_id):
    r = tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="PlanId", operator="EQUAL", values=[plan_id])], page_size=100)).body
    return r.backup_jobs.backup_job


first_slot = int(time.time()) + 3
cp = tea.create_backup_plan(hbr.CreateBackupPlanRequest(
    vault_id=vault_id, source_type="ECS_FILE", plan_name="sdk-plan", schedule=f"I|{first_slot}|PT20S", instance_id=client_id,
    path=[data], exclude=json.dumps(["*.tmp"]), retention=7, keep_latest_snapshots=1, speed_limit="0:24:102400")).body
assert cp.success and cp.plan_id, cp.to_map()
plan_id = cp.plan_id
expect_error(lambda: tea.create_backup_plan(hbr.CreateBackupPlanRequest(
    vault_id=vault_id, source_type="ECS_FILE", plan_name="sdk-plan", schedule=f"I|{first_slot}|PT20S", instance_id=client_id, path=[data])), "PlanNameAlreadyExists")
expect_error(lambda: tea.create_backup_plan(hbr.CreateBackupPlanRequest(
    vault_id=vault_id, source_type="ECS_FILE", plan_name="bad", schedule=f"I|{first_slot}|P1M", instance_id=client_id, path=[data])), "InvalidParameter")
p = plan_of(plan_id)
assert p.plan_name == "sdk-plan" and p.schedule == f"I|{first_slot}|PT20S" and p.retention == 7 and p.keep_latest_snapshots == 1, p.to_map()
assert p.paths.path == [data] and p.client_id == client_id and p.instance_id == client_id and p.disabled is False, p.to_map()
assert common("DescribeBackupPlans", method="GET", **{"Filters.1.Key": "planId", "Filters.1.Values.1": plan_id})["BackupPlans"]["BackupPlan"][0]["NextRunTime"] == first_slot
job_id = None
for _ in range(400):
    job_id = plan_of(plan_id).latest_execute_job_id
    if job_id:
        break
    time.sleep(0.05)
assert job_id, "the plan did not run on its first slot"
done = wait_job(job_id)
assert done.status == "COMPLETE" and done.plan_id == plan_id and done.trigger_mode == "AUTO", done.to_map()
assert done.created_time >= first_slot, (done.created_time, first_slot)
r = tea.describe_backup_jobs_2(hbr.DescribeBackupJobs2Request(filters=[F(key="PlanId", operator="EQUAL", values=[plan_id]), F(key="JobId", operator="IN", values=[job_id])])).body
assert [b.job_id for b in r.backup_jobs.backup_job] == [job_id], r.to_map()
# The Tea job model has no SnapshotId: read ours from the raw answer.
snapshot_id = common("DescribeBackupJobs2", **{"Filters.1.Key": "JobId", "Filters.1.Values.1": job_id})["BackupJobs"]["BackupJob"][0]["SnapshotId"]
# The plan's snapshots through SearchHistoricalSnapshots (Query on PlanId), as a script would find them.
found = tea.search_historical_snapshots(hbr.SearchHistoricalSnapshotsRequest(source_type="ECS_FILE", query=[Q("VaultId", "MATCH_TERM", vault_id), Q("PlanId", "MATCH_TERM", plan_id)])).body
assert [x.snapshot_id for x in found.snapshots.snapshot] == [snapshot_id], found.to_map()
assert found.snapshots.snapshot[0].job_id == job_id and found.snapshots.snapshot[0].retention == 7, found.to_map()
target = tempfile.mkdtemp(prefix="mv-sdk-plan-restore-")
rj = tea.create_restore_job(hbr.CreateRestoreJobRequest(vault_id=vault_id, snapshot_id=snapshot_id, restore_type="ECS_FILE",
                                                         target_instance_id=client_id, target_path=target)).body
for _ in range(600):
    rr = tea.describe_restore_jobs_2(hbr.DescribeRestoreJobs2Request(filters=[RF(key="JobId", operator="EQUAL", values=[rj.restore_id])])).body
    if rr.restore_jobs.restore_job and rr.restore_jobs.restore_job[0].status in ("COMPLETE", "FAILED"):
        break
    time.sleep(0.05)
assert rr.restore_jobs.restore_job[0].status == "COMPLETE", rr.to_map()
with open(os.path.join(target, data.lstrip("/"), "f1.txt")) as f:
    assert f.read() == "file 1\n" * 2
# Delete the restored snapshot: the search no longer finds it.
assert tea.delete_snapshot(hbr.DeleteSnapshotRequest(vault_id=vault_id, snapshot_id=snapshot_id, source_type="ECS_FILE", instance_id=client_id)).body.success
gone = tea.search_historical_snapshots(hbr.SearchHistoricalSnapshotsRequest(source_type="ECS_FILE", query=[Q("PlanId", "MATCH_TERM", plan_id)])).body
assert gone.total_count == 0 and not gone.snapshots.snapshot, gone.to_map()
# Disable: the next slot passes without a run.
assert tea.disable_backup_plan(hbr.DisableBackupPlanRequest(plan_id=plan_id, vault_id=vault_id, source_type="ECS_FILE")).body.success
assert plan_of(plan_id).disabled is True
time.sleep(max(0, first_slot + 20 + 3 - time.time()))
assert [j.job_id for j in plan_jobs(plan_id)] == [job_id], "a disabled plan ran"
# Enable (with the first slot moved a few seconds ahead): it runs again.
assert tea.update_backup_plan(hbr.UpdateBackupPlanRequest(plan_id=plan_id, vault_id=vault_id, source_type="ECS_FILE", schedule=f"I|{int(time.time()) + 2}|PT1M")).body.success
assert tea.enable_backup_plan(hbr.EnableBackupPlanRequest(plan_id=plan_id, vault_id=vault_id, source_type="ECS_FILE")).body.success
for _ in range(400):
    if len(plan_jobs(plan_id)) >= 2:
        break
    time.sleep(0.05)
assert len(plan_jobs(plan_id)) >= 2, "the enabled plan did not run again"
# Run now (refused with PlanJobRunning while the scheduled run still runs).
ex = None
for _ in range(600):
    try:
        ex = tea.execute_backup_plan(hbr.ExecuteBackupPlanRequest(plan_id=plan_id, vault_id=vault_id, source_type="ECS_FILE")).body
        break
    except Exception as e:  # PlanJobRunning while the scheduled run runs
        assert getattr(e, "code", None) == "PlanJobRunning", e
        time.sleep(0.05)
assert ex.success and ex.job_id, ex.to_map()
manual = wait_job(ex.job_id)
assert manual.status == "COMPLETE" and manual.trigger_mode == "MANUAL" and manual.plan_id == plan_id, manual.to_map()
# Delete: the plan is gone, its jobs stay.
assert tea.delete_backup_plan(hbr.DeleteBackupPlanRequest(plan_id=plan_id, vault_id=vault_id, source_type="ECS_FILE")).body.success
r = tea.describe_backup_plans(hbr.DescribeBackupPlansRequest(filters=[hbr.DescribeBackupPlansRequestFilters(key="planId", values=[plan_id])])).body
assert r.total_count == 0 and not r.backup_plans.backup_plan, r.to_map()
expect_error(lambda: tea.execute_backup_plan(hbr.ExecuteBackupPlanRequest(plan_id=plan_id)), "PlanNotFound")
assert len(plan_jobs(plan_id)) >= 3
print("tea sdk backup plans (issue 16): ok")
