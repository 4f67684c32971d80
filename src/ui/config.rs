//! The console's own settings file (`<config dir>/console.toml`, mode 0600): the remote
//! endpoint's credentials and the theme. Runtime state never goes here.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::client::Credentials;

#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ConsoleConfig {
    /// The remote backend these credentials belong to (informational; `--endpoint` picks it).
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// `Some(true)` dark, `Some(false)` light, `None` follow the system.
    pub dark_mode: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

impl std::fmt::Debug for ConsoleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleConfig")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"***")
            .field("dark_mode", &self.dark_mode)
            .finish()
    }
}

/// `<config dir>/console.toml` of this user, when the platform has a config dir.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("com", "mirrorvault", "mirrorvault").map(|d| d.config_dir().join("console.toml"))
}

impl ConsoleConfig {
    /// Reads the file; a missing file is the default configuration.
    pub fn load(path: &Path) -> Result<ConsoleConfig, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.into(), source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConsoleConfig::default()),
            Err(source) => Err(ConfigError::Read { path: path.into(), source }),
        }
    }

    /// Writes the file readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let err = |source| ConfigError::Write { path: path.into(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let text = toml::to_string(self).map_err(|e| err(std::io::Error::other(e)))?;
        crate::platform::write_private(path, text.as_bytes()).map_err(err)
    }

    /// The saved credentials, when both halves are present.
    pub fn credentials(&self) -> Option<Credentials> {
        (!self.access_key_id.is_empty() && !self.access_key_secret.is_empty())
            .then(|| Credentials { access_key_id: self.access_key_id.clone(), access_key_secret: self.access_key_secret.clone() })
    }
}

/// `abcd••••••••wxyz`: enough to recognise a secret, never the whole of it.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        return "•".repeat(chars.len().max(8));
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "•".repeat(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_never_shows_the_secret() {
        let s = "abcdefghijklmnopqrstuvwxyz";
        let m = mask_secret(s);
        assert!(!m.contains("cdef"));
        assert!(m.starts_with("ab") && m.ends_with("yz"));
        assert_eq!(mask_secret("short"), "••••••••");
    }
}
