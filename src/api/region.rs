use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Region {
    pub region_id: String,
    pub local_name: String,
    /// "local:/path" or "s3://bucket/prefix"; never credentials.
    #[serde(default)]
    pub storage_location: String,
    /// True while the region is marked unavailable (outage drill) or its location fails.
    #[serde(default)]
    pub outage: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Regions {
    #[serde(default)]
    pub region: Vec<Region>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRegionsResponse {
    pub regions: Regions,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionIds {
    #[serde(default)]
    pub region_id: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVaultReplicationRegionsResponse {
    pub regions: RegionIds,
}

/// Settings the console shows read-only.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSettingsResponse {
    pub historical_sync_delay_seconds: i64,
    pub data_dir: String,
    pub version: String,
    pub demo: bool,
}

// Requests.

crate::action! {
    /// Every region and its storage location.
    pub struct DescribeRegionsRequest: "DescribeRegions" -> DescribeRegionsResponse {}
}

crate::action! {
    /// The regions a mirror of `vault_id` may go to (all of them without one).
    pub struct DescribeVaultReplicationRegionsRequest: "DescribeVaultReplicationRegions" -> DescribeVaultReplicationRegionsResponse {
        vault_id: Option<String> = "VaultId" optional,
    }
}

crate::action! {
    /// The outage drill: takes a region's storage offline or back.
    pub struct SetRegionOutageRequest: "SetRegionOutage" -> serde_json::Value {
        region_id: String = "RegionId" required,
        outage: bool = "Outage" flag_required,
    }
}

crate::action! {
    /// The backend's settings.
    pub struct DescribeSettingsRequest: "DescribeSettings" -> DescribeSettingsResponse {}
}
