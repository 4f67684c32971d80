//! Request parameters: query string and form body merged, with typed getters that
//! turn bad input into `InvalidParameter` / `MissingParameter` errors. They are the
//! `ParamReader` the typed requests of `crate::api` are parsed with (`parse`).
use std::collections::BTreeMap;

use super::error::{ServerError, ServerResult};
use crate::api::{Action, ParamReader};

/// Parses the typed request of an action.
pub fn parse<A: Action>(p: &Params) -> ServerResult<A> {
    A::from_params(p)
}

/// A string bounded in length (characters) without control characters.
pub fn check_bounded(name: &str, v: &str, min: usize, max: usize) -> ServerResult<()> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err(ServerError::invalid(name, format!("length must be between {min} and {max} characters, got {n}")));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(ServerError::invalid(name, "control characters are not allowed"));
    }
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct Params(pub BTreeMap<String, String>);

/// Parameters that are never business parameters (signing and protocol fields).
pub const PROTOCOL_PARAMS: &[&str] = &[
    "Action", "Version", "Format", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
    "SignatureNonce", "SignatureType", "Timestamp", "RegionId",
];

impl Params {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Params(pairs.into_iter().collect())
    }

    pub fn insert(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.0.insert(k.into(), v.into());
    }

    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A present, non-empty string value.
    pub fn opt(&self, name: &str) -> Option<String> {
        self.raw(name).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
    }

    pub fn required(&self, name: &str) -> ServerResult<String> {
        self.opt(name).ok_or_else(|| ServerError::missing(name))
    }

    pub fn opt_bool(&self, name: &str) -> ServerResult<Option<bool>> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(ServerError::invalid(name, "expected true or false")),
            },
        }
    }

    pub fn bool_or(&self, name: &str, default: bool) -> ServerResult<bool> {
        Ok(self.opt_bool(name)?.unwrap_or(default))
    }

    pub fn opt_i64(&self, name: &str) -> ServerResult<Option<i64>> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| ServerError::invalid(name, "expected an integer")),
        }
    }

    /// A string bounded in length (characters).
    pub fn bounded(&self, name: &str, min: usize, max: usize) -> ServerResult<Option<String>> {
        let Some(v) = self.raw(name) else { return Ok(None) };
        check_bounded(name, v, min, max)?;
        Ok(Some(v.to_string()))
    }

    /// The items to skip for a page of an in-memory list (saturating: a huge `PageNumber` is an
    /// empty page, never an overflow).
    pub fn offset(page_number: i64, page_size: i64) -> usize {
        usize::try_from(page_number.saturating_sub(1).saturating_mul(page_size)).unwrap_or(0)
    }

    /// A list parameter, in any of the SDKs' forms: a JSON array string (`Include=["/a","/b"]`),
    /// the flattened form (`Include.1=/a&Include.2=/b`), or one plain value.
    pub fn list(&self, name: &str) -> ServerResult<Vec<String>> {
        if let Some(v) = self.opt(name) {
            if v.starts_with('[') {
                let parsed: Vec<serde_json::Value> = serde_json::from_str(&v)
                    .map_err(|e| ServerError::invalid(name, format!("not a JSON array: {e}")))?;
                return parsed
                    .into_iter()
                    .map(|x| match x {
                        serde_json::Value::String(s) => Ok(s),
                        _ => Err(ServerError::invalid(name, "array items must be strings")),
                    })
                    .collect();
            }
            return Ok(vec![v]);
        }
        let prefix = format!("{name}.");
        let mut items: Vec<(u32, String)> = Vec::new();
        for (k, v) in &self.0 {
            if let Some(rest) = k.strip_prefix(&prefix) {
                let idx: u32 = rest.parse().map_err(|_| ServerError::invalid(k, "expected Name.N"))?;
                items.push((idx, v.clone()));
            }
        }
        items.sort();
        Ok(items.into_iter().map(|(_, v)| v).collect())
    }
}

impl ParamReader for Params {
    type Error = ServerError;

    fn raw(&self, name: &str) -> Option<String> {
        Params::raw(self, name).map(str::to_string)
    }
    fn opt(&self, name: &str) -> Option<String> {
        Params::opt(self, name)
    }
    fn opt_bool(&self, name: &str) -> ServerResult<Option<bool>> {
        Params::opt_bool(self, name)
    }
    fn opt_i64(&self, name: &str) -> ServerResult<Option<i64>> {
        Params::opt_i64(self, name)
    }
    fn bounded(&self, name: &str, min: usize, max: usize) -> ServerResult<Option<String>> {
        Params::bounded(self, name, min, max)
    }
    fn list(&self, name: &str) -> ServerResult<Vec<String>> {
        Params::list(self, name)
    }
    fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
    fn missing(&self, name: &str) -> ServerError {
        ServerError::missing(name)
    }
    fn invalid(&self, name: &str, why: String) -> ServerError {
        ServerError::invalid(name, why)
    }
}

#[cfg(test)]
mod tests {
    use super::Params;
    use crate::api::vault::{CreateVaultRequest, DescribeVaultsRequest};
    use crate::api::{error as codes, Action};

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn typed_requests_keep_the_error_texts() {
        let e = Params::default();
        let err = CreateVaultRequest::from_params(&e).unwrap_err();
        assert_eq!((err.code.as_str(), err.message.as_str()), (codes::MISSING_PARAMETER, "The parameter VaultName is required."));
        let err = CreateVaultRequest::from_params(&params(&[("VaultName", "")])).unwrap_err();
        assert_eq!(err.message, "The parameter VaultName is invalid: length must be between 1 and 64 characters, got 0");
        let err = DescribeVaultsRequest::from_params(&params(&[("PageSize", "abc")])).unwrap_err();
        assert_eq!((err.code.as_str(), err.message.as_str()), (codes::INVALID_PARAMETER, "The parameter PageSize is invalid: expected an integer"));
        let err = DescribeVaultsRequest::from_params(&params(&[("PageNumber", "0")])).unwrap_err();
        assert_eq!(err.message, "The parameter PageNumber is invalid: must be at least 1");
        let err = DescribeVaultsRequest::from_params(&params(&[("PageSize", "1001")])).unwrap_err();
        assert_eq!(err.message, "The parameter PageSize is invalid: must be between 1 and 1000");
        let err = DescribeVaultsRequest::from_params(&params(&[("Replication", "maybe")])).unwrap_err();
        assert_eq!(err.message, "The parameter Replication is invalid: expected true or false");
    }

    #[test]
    fn a_request_survives_its_own_parameters() {
        let mut req = CreateVaultRequest { vault_name: "v".into(), vault_region_id: "cn-hangzhou".into(), replication: true, ..Default::default() };
        req.encryption.kms_key_id = Some("k".into());
        let back = CreateVaultRequest::from_params(&Params::from_pairs(req.to_params())).unwrap();
        assert_eq!(back, req);
    }

    /// `Filters` are written flattened (`Filters.N.Key`, `.Operator`, `.Values.M`, as the Tea
    /// SDK sends them) and read back the same, also from one JSON string.
    #[test]
    fn filters_survive_their_own_parameters_and_the_json_form() {
        use crate::api::backup::DescribeBackupJobsRequest;
        use crate::api::Filter;
        let mut req = DescribeBackupJobsRequest { source_type: Some("ECS_FILE".into()), ..Default::default() };
        req.query.filters = vec![Filter::new("JobId", "IN", &["a", "b"]), Filter::new("CreatedTime", "", &["1"])];
        let wire = req.to_params();
        assert!(wire.contains(&("Filters.1.Values.2".to_string(), "b".to_string())), "{wire:?}");
        assert_eq!(DescribeBackupJobsRequest::from_params(&Params::from_pairs(wire)).unwrap(), req);
        let json = params(&[("Filters", r#"[{"Key":"JobId","Operator":"IN","Values":["a","b"]},{"Key":"CreatedTime","Values":[1]}]"#)]);
        assert_eq!(DescribeBackupJobsRequest::from_params(&json).unwrap().query.filters, req.query.filters);
        let err = DescribeBackupJobsRequest::from_params(&params(&[("Filters.1.Operator", "IN")])).unwrap_err();
        assert_eq!(err.message, "The parameter Filters.1.Key is required.");
        let err = DescribeBackupJobsRequest::from_params(&params(&[("Filters.x.Key", "JobId")])).unwrap_err();
        assert_eq!(err.code, codes::INVALID_PARAMETER);
    }

    #[test]
    fn huge_page_numbers_do_not_overflow() {
        assert_eq!(Params::offset(1, 10), 0);
        assert_eq!(Params::offset(3, 10), 20);
        assert_eq!(Params::offset(i64::MAX, 1000), i64::MAX as usize);
        assert_eq!(Params::offset(-5, 10), 0);
    }
}
