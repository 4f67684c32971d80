//! Database-name validation shared by both engines.

use super::SqlError;

/// Longest identifier SQL Server accepts (sysname).
pub const MAX_NAME_CHARS: usize = 128;

/// Validates a database name for the TDS engine: 1..=128 characters, no path
/// separators, no `..`, no NUL or other control characters. Everything else
/// (spaces, brackets, quotes, unicode) is allowed and quoted when used in T-SQL.
pub fn validate_tds_name(name: &str) -> Result<(), SqlError> {
    let n = name.chars().count();
    if n == 0 {
        return Err(invalid(name, "name is empty"));
    }
    if n > MAX_NAME_CHARS {
        return Err(invalid(name, "name is longer than 128 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(name, "name contains control characters"));
    }
    if name.contains('/') || name.contains('\\') {
        return Err(invalid(name, "name contains a path separator"));
    }
    if name.contains("..") {
        return Err(invalid(name, "name contains '..'"));
    }
    if name.trim() != name {
        return Err(invalid(name, "name has leading or trailing whitespace"));
    }
    Ok(())
}

/// Validates a database name for the demo engine: the TDS rules plus only
/// `[A-Za-z0-9_-]` (the name becomes a file name).
pub fn validate_demo_name(name: &str) -> Result<(), SqlError> {
    validate_tds_name(name)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(invalid(name, "only letters, digits, '_' and '-' are allowed"));
    }
    Ok(())
}

/// Turns a (validated) database name into a safe file-name fragment.
pub fn file_fragment(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(64)
        .collect();
    if s.is_empty() { "db".to_string() } else { s }
}

fn invalid(name: &str, why: &str) -> SqlError {
    // Escape so control characters never reach logs verbatim; cap the length.
    let shown: String = name.chars().take(MAX_NAME_CHARS + 2).collect::<String>();
    SqlError::InvalidName(format!("{:?}: {why}", shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_invalid(r: Result<(), SqlError>) -> bool {
        matches!(r, Err(SqlError::InvalidName(_)))
    }

    #[test]
    fn tds_names() {
        assert!(validate_tds_name("sales").is_ok());
        assert!(validate_tds_name("Sales DB [2024]").is_ok());
        assert!(validate_tds_name("o'brien").is_ok());
        assert!(validate_tds_name(&"a".repeat(128)).is_ok());
        assert!(is_invalid(validate_tds_name("")));
        assert!(is_invalid(validate_tds_name(&"a".repeat(129))));
        assert!(is_invalid(validate_tds_name("a\0b")));
        assert!(is_invalid(validate_tds_name("a\nb")));
        assert!(is_invalid(validate_tds_name("a/b")));
        assert!(is_invalid(validate_tds_name("a\\b")));
        assert!(is_invalid(validate_tds_name("..")));
        assert!(is_invalid(validate_tds_name("x..y")));
        assert!(is_invalid(validate_tds_name(" x")));
    }

    #[test]
    fn demo_names() {
        assert!(validate_demo_name("sales_2024-copy").is_ok());
        assert!(is_invalid(validate_demo_name("sales db")));
        assert!(is_invalid(validate_demo_name("sales.db")));
        assert!(is_invalid(validate_demo_name("ventas_ñ")));
        assert!(is_invalid(validate_demo_name("")));
    }

    #[test]
    fn fragments() {
        assert_eq!(file_fragment("Sales DB [1]"), "Sales_DB__1_");
        assert_eq!(file_fragment("ok-name_1"), "ok-name_1");
    }

    #[test]
    fn invalid_message_escapes_control_chars() {
        let e = validate_tds_name("a\0b").unwrap_err().to_string();
        assert!(!e.contains('\0'));
    }
}

/// Validates a database name for the engine in use.
pub fn validate_name(name: &str, demo: bool) -> Result<(), SqlError> {
    if demo {
        validate_demo_name(name)
    } else {
        validate_tds_name(name)
    }
}
