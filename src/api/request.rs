//! The machinery of typed requests: the `Action` and `ParamGroup` traits, the field kinds, and
//! the `action!` / `param_group!` macros that declare a request struct with each field's wire
//! name written once.
//!
//! A field is declared as `name: Type = "WireName" kind` (or `kind(args)`). The kind says how the
//! field is read from a request's parameters (`ParamGroup::read`, through a `ParamReader` the
//! server implements over its tolerant `Params`) and how it is written (`ParamGroup::put`, used by
//! the client). Each kind is a module of `field` with a `get` and a `put`:
//!
//! | kind                      | type            | read (server)                                   | written (client)   |
//! |---------------------------|-----------------|-------------------------------------------------|--------------------|
//! | `required`                | `String`        | present and non-blank, else MissingParameter     | always             |
//! | `optional`                | `Option<String>`| present and non-blank (trimmed)                 | when `Some`        |
//! | `text`                    | `String`        | like `optional`, absent = empty                  | when non-empty     |
//! | `flag`                    | `Option<bool>`  | `true`/`false`/`1`/`0`, else InvalidParameter    | when `Some`        |
//! | `flag_or(default)`        | `bool`          | like `flag`, absent = `default`                  | always             |
//! | `flag_required`           | `bool`          | like `flag`, absent = MissingParameter           | always             |
//! | `int`                     | `Option<i64>`   | an integer, else InvalidParameter                | when `Some`        |
//! | `int_range(min, max)`     | `Option<i64>`   | like `int`, and within `min..=max`               | when `Some`        |
//! | `list`                    | `Vec<String>`   | JSON array, `Name.N` items or one plain value    | JSON, when non-empty |
//! | `bounded(min, max)`       | `Option<String>`| raw value, `min..=max` chars, no control chars   | when `Some`        |
//! | `bounded_text(min, max)`  | `String`        | like `bounded`, absent = empty                   | when non-empty     |
//! | `bounded_required(min, max)` | `String`     | like `bounded`, absent = MissingParameter        | always             |
//! | `raw_text`                | `String`        | the raw value (untrimmed; the handler bounds it) | when non-empty     |
//! | `present`                 | `bool`          | `Name` or any `Name.…` parameter was sent        | never (refusal checks) |
//! | `group`                   | a `ParamGroup`  | the group's own fields (flat on the wire)        | the group's fields |
//! | `group_unless(wire)`      | `Option<G>`     | the group, unless parameter `wire` is present    | the group, when `Some` |
//! | `filters`                 | `Vec<Filter>`   | `Name.N.Key`/`.Operator`/`.Values.M`, or a JSON array of `{Key, Operator, Values}` | flattened, `Name.N.…` |
//!
//! Fields are read in declaration order with the same getters the handlers used before, so a
//! request with one bad parameter gets the same code and message; checks that need the
//! backend's state (does the vault exist) run in the handler once the whole request parsed (so
//! a request with several faults now hears of a malformed parameter before an unknown vault).
//! A parameter that an action reads only in some cases is declared with a kind that cannot fail
//! (`text`, `raw_text`, `optional`) and checked by the handler in that case, as before. Every request type also gets one
//! associated constant per field holding its wire name (`CreateVaultRequest::vault_name ==
//! "VaultName"`), for the handlers' validation messages.
use serde::de::DeserializeOwned;

/// Where a request's parameters are read from (the server's `Params`). The getters carry the
/// error texts; the field kinds only choose among them.
pub trait ParamReader {
    type Error;
    /// The value as sent.
    fn raw(&self, name: &str) -> Option<String>;
    /// A present, non-blank value, trimmed.
    fn opt(&self, name: &str) -> Option<String>;
    fn opt_bool(&self, name: &str) -> Result<Option<bool>, Self::Error>;
    fn opt_i64(&self, name: &str) -> Result<Option<i64>, Self::Error>;
    /// The raw value, bounded in characters.
    fn bounded(&self, name: &str, min: usize, max: usize) -> Result<Option<String>, Self::Error>;
    fn list(&self, name: &str) -> Result<Vec<String>, Self::Error>;
    /// Every parameter name present (for the indexed `Name.N.…` forms).
    fn names(&self) -> Vec<String>;
    /// `MissingParameter` for `name`.
    fn missing(&self, name: &str) -> Self::Error;
    /// `InvalidParameter` for `name`.
    fn invalid(&self, name: &str, why: String) -> Self::Error;
}

/// A set of fields read from and written to the flat parameter list.
pub trait ParamGroup: Sized {
    fn read<R: ParamReader>(r: &R) -> Result<Self, R::Error>;
    fn put(&self, out: &mut Vec<(String, String)>);
}

/// A request of one action: its wire name, its response type and its parameters.
pub trait Action: ParamGroup {
    /// The `Action` parameter.
    const NAME: &'static str;
    type Response: DeserializeOwned;

    fn to_params(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.put(&mut out);
        out
    }

    fn from_params<R: ParamReader>(r: &R) -> Result<Self, R::Error> {
        Self::read(r)
    }
}

/// One module per field kind (see the table above).
pub mod field {
    use super::{ParamGroup, ParamReader};

    type Out = Vec<(String, String)>;

    fn push(out: &mut Out, name: &str, v: impl ToString) {
        out.push((name.to_string(), v.to_string()));
    }

    pub mod required {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<String, R::Error> {
            r.opt(name).ok_or_else(|| r.missing(name))
        }
        pub fn put(out: &mut Out, name: &str, v: &str) {
            push(out, name, v)
        }
    }

    pub mod optional {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<Option<String>, R::Error> {
            Ok(r.opt(name))
        }
        pub fn put(out: &mut Out, name: &str, v: &Option<String>) {
            if let Some(v) = v {
                push(out, name, v)
            }
        }
    }

    pub mod text {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<String, R::Error> {
            Ok(r.opt(name).unwrap_or_default())
        }
        pub fn put(out: &mut Out, name: &str, v: &str) {
            if !v.is_empty() {
                push(out, name, v)
            }
        }
    }

    pub mod flag {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<Option<bool>, R::Error> {
            r.opt_bool(name)
        }
        pub fn put(out: &mut Out, name: &str, v: &Option<bool>) {
            if let Some(v) = v {
                push(out, name, v)
            }
        }
    }

    pub mod flag_or {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str, default: bool) -> Result<bool, R::Error> {
            Ok(r.opt_bool(name)?.unwrap_or(default))
        }
        pub fn put(out: &mut Out, name: &str, v: &bool) {
            push(out, name, v)
        }
    }

    pub mod flag_required {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<bool, R::Error> {
            r.opt_bool(name)?.ok_or_else(|| r.missing(name))
        }
        pub fn put(out: &mut Out, name: &str, v: &bool) {
            push(out, name, v)
        }
    }

    pub mod int {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<Option<i64>, R::Error> {
            r.opt_i64(name)
        }
        pub fn put(out: &mut Out, name: &str, v: &Option<i64>) {
            if let Some(v) = v {
                push(out, name, v)
            }
        }
    }

    pub mod int_range {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str, min: i64, max: i64) -> Result<Option<i64>, R::Error> {
            match r.opt_i64(name)? {
                Some(v) if v < min || v > max => {
                    let why = if max == i64::MAX { format!("must be at least {min}") } else { format!("must be between {min} and {max}") };
                    Err(r.invalid(name, why))
                }
                v => Ok(v),
            }
        }
        pub fn put(out: &mut Out, name: &str, v: &Option<i64>) {
            super::int::put(out, name, v)
        }
    }

    pub mod list {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<Vec<String>, R::Error> {
            r.list(name)
        }
        /// The SDKs' JSON-string form.
        pub fn put(out: &mut Out, name: &str, v: &[String]) {
            if !v.is_empty() {
                push(out, name, serde_json::to_string(v).unwrap_or_else(|_| "[]".into()))
            }
        }
    }

    pub mod bounded {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str, min: usize, max: usize) -> Result<Option<String>, R::Error> {
            r.bounded(name, min, max)
        }
        pub fn put(out: &mut Out, name: &str, v: &Option<String>) {
            super::optional::put(out, name, v)
        }
    }

    pub mod bounded_text {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str, min: usize, max: usize) -> Result<String, R::Error> {
            Ok(r.bounded(name, min, max)?.unwrap_or_default())
        }
        pub fn put(out: &mut Out, name: &str, v: &str) {
            super::text::put(out, name, v)
        }
    }

    pub mod bounded_required {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str, min: usize, max: usize) -> Result<String, R::Error> {
            r.bounded(name, min, max)?.ok_or_else(|| r.missing(name))
        }
        pub fn put(out: &mut Out, name: &str, v: &str) {
            push(out, name, v)
        }
    }

    pub mod raw_text {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<String, R::Error> {
            Ok(r.raw(name).unwrap_or_default())
        }
        pub fn put(out: &mut Out, name: &str, v: &str) {
            super::text::put(out, name, v)
        }
    }

    /// A group read only when another parameter is absent (`PrecheckSqlServerInstance`: the
    /// connection fields, unless a registered `ClusterId` is named).
    pub mod group_unless {
        use super::*;
        pub fn get<R: ParamReader, G: ParamGroup>(r: &R, _label: &str, unless: &str) -> Result<Option<G>, R::Error> {
            if r.opt(unless).is_some() {
                Ok(None)
            } else {
                G::read(r).map(Some)
            }
        }
        pub fn put<G: ParamGroup>(out: &mut Out, _label: &str, v: &Option<G>) {
            if let Some(v) = v {
                v.put(out)
            }
        }
    }

    /// `Filters.N.Key`, `Filters.N.Operator`, `Filters.N.Values.M` (as the Tea SDK flattens
    /// them), or the whole list as one JSON string. A filter without `Key` is MissingParameter.
    pub mod filters {
        use super::*;
        use crate::api::Filter;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<Vec<Filter>, R::Error> {
            if let Some(raw) = r.opt(name) {
                return from_json(r, name, &raw);
            }
            let prefix = format!("{name}.");
            let mut ns = std::collections::BTreeSet::new();
            for k in r.names() {
                if let Some(rest) = k.strip_prefix(&prefix) {
                    let n: u32 = rest.split('.').next().unwrap_or("").parse().map_err(|_| r.invalid(&k, "expected Filters.N.Key, Filters.N.Operator or Filters.N.Values.M".into()))?;
                    ns.insert(n);
                }
            }
            ns.into_iter()
                .map(|n| {
                    let key = format!("{name}.{n}.Key");
                    Ok(Filter {
                        key: r.opt(&key).ok_or_else(|| r.missing(&key))?,
                        operator: r.opt(&format!("{name}.{n}.Operator")).unwrap_or_default(),
                        values: r.list(&format!("{name}.{n}.Values"))?,
                    })
                })
                .collect()
        }
        fn from_json<R: ParamReader>(r: &R, name: &str, raw: &str) -> Result<Vec<Filter>, R::Error> {
            let items: Vec<serde_json::Value> = serde_json::from_str(raw).map_err(|e| r.invalid(name, format!("not a JSON array of {{Key, Operator, Values}}: {e}")))?;
            items
                .into_iter()
                .map(|item| {
                    let text = |v: &serde_json::Value| match v {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    let key = item.get("Key").and_then(text).filter(|k| !k.trim().is_empty()).ok_or_else(|| r.missing(&format!("{name}.Key")))?;
                    let operator = item.get("Operator").and_then(text).unwrap_or_default();
                    let values = match item.get("Values") {
                        None | Some(serde_json::Value::Null) => Vec::new(),
                        Some(serde_json::Value::Array(a)) => a.iter().map(|v| text(v).ok_or_else(|| r.invalid(&format!("{name}.Values"), "items must be strings or numbers".into()))).collect::<Result<_, _>>()?,
                        Some(v) => vec![text(v).ok_or_else(|| r.invalid(&format!("{name}.Values"), "expected a list of strings".into()))?],
                    };
                    Ok(Filter { key: key.trim().to_string(), operator: operator.trim().to_string(), values })
                })
                .collect()
        }
        pub fn put(out: &mut Out, name: &str, v: &[Filter]) {
            for (i, f) in v.iter().enumerate() {
                let n = i + 1;
                push(out, &format!("{name}.{n}.Key"), &f.key);
                if !f.operator.is_empty() {
                    push(out, &format!("{name}.{n}.Operator"), &f.operator);
                }
                for (j, value) in f.values.iter().enumerate() {
                    push(out, &format!("{name}.{n}.Values.{}", j + 1), value);
                }
            }
        }
    }

    /// Whether `Name` or any `Name.N…` parameter was sent: for parameters a handler refuses
    /// rather than ignores (`CreateBackupPlan`'s per-rule `Rule.N.*`). Never written.
    pub mod present {
        use super::*;
        pub fn get<R: ParamReader>(r: &R, name: &str) -> Result<bool, R::Error> {
            let prefix = format!("{name}.");
            Ok(r.raw(name).is_some() || r.names().iter().any(|k| k.starts_with(&prefix)))
        }
        pub fn put(_out: &mut Out, _name: &str, _v: &bool) {}
    }

    /// A nested `ParamGroup`, flat on the wire (its wire name is only a label).
    pub mod group {
        use super::*;
        pub fn get<R: ParamReader, G: ParamGroup>(r: &R, _label: &str) -> Result<G, R::Error> {
            G::read(r)
        }
        pub fn put<G: ParamGroup>(out: &mut Out, _label: &str, v: &G) {
            v.put(out)
        }
    }
}

/// Declares a `ParamGroup` struct: `name: Type = "WireName" kind(args)` per field.
#[macro_export]
macro_rules! param_group {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $wire:literal $kind:ident $( ( $($arg:expr),* ) )? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        #[allow(non_upper_case_globals)]
        impl $name {
            $( #[doc = concat!("The wire name of `", stringify!($field), "`.")] pub const $field: &'static str = $wire; )*
        }

        impl $crate::api::request::ParamGroup for $name {
            #[allow(unused_variables)]
            fn read<R: $crate::api::request::ParamReader>(r: &R) -> Result<Self, R::Error> {
                Ok($name { $( $field: $crate::api::request::field::$kind::get(r, $wire $( $(, $arg)* )?)?, )* })
            }
            #[allow(unused_variables)]
            fn put(&self, out: &mut Vec<(String, String)>) {
                $( $crate::api::request::field::$kind::put(out, $wire, &self.$field); )*
            }
        }
    };
}

/// Declares the request of one action: `pub struct Name: "ActionName" -> Response { fields }`.
#[macro_export]
macro_rules! action {
    (
        $(#[$meta:meta])*
        pub struct $name:ident : $action:literal -> $resp:ty { $($body:tt)* }
    ) => {
        $crate::param_group! { $(#[$meta])* pub struct $name { $($body)* } }

        impl $crate::api::request::Action for $name {
            const NAME: &'static str = $action;
            type Response = $resp;
        }
    };
}
