//! Pure T-SQL generation and parsing for the TDS engine. Nothing here does
//! I/O, so everything is unit tested without a server.

use super::names::{file_fragment, validate_tds_name};
use super::SqlError;

/// Quotes an identifier with brackets, doubling `]`. Rejects empty names,
/// names longer than 128 characters and names containing NUL.
pub fn quote_ident(name: &str) -> Result<String, SqlError> {
    if name.is_empty() {
        return Err(SqlError::InvalidName("identifier is empty".into()));
    }
    if name.contains('\0') {
        return Err(SqlError::InvalidName("identifier contains NUL".into()));
    }
    if name.chars().count() > super::names::MAX_NAME_CHARS {
        return Err(SqlError::InvalidName("identifier is longer than 128 characters".into()));
    }
    Ok(format!("[{}]", name.replace(']', "]]")))
}

/// Quotes a Unicode string literal: `N'...'` with `'` doubled.
pub fn quote_nstring(s: &str) -> String {
    format!("N'{}'", s.replace('\'', "''"))
}

/// `BACKUP DATABASE` to a single file: copy-only (does not disturb the
/// customer's own backup chain), page checksums verified, file overwritten.
pub fn backup_sql(database: &str, file: &str) -> Result<String, SqlError> {
    validate_tds_name(database)?;
    Ok(format!(
        "BACKUP DATABASE {} TO DISK = {} WITH COPY_ONLY, CHECKSUM, INIT",
        quote_ident(database)?,
        quote_nstring(file)
    ))
}

/// Lists the logical files inside a backup file.
pub fn restore_filelistonly_sql(file: &str) -> String {
    format!("RESTORE FILELISTONLY FROM DISK = {}", quote_nstring(file))
}

/// One `MOVE N'logical' TO N'physical'` clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMove {
    pub logical_name: String,
    pub physical_path: String,
}

/// `RESTORE DATABASE` with relocated files. `REPLACE` only when asked.
pub fn restore_sql(
    target: &str,
    file: &str,
    moves: &[FileMove],
    replace: bool,
) -> Result<String, SqlError> {
    validate_tds_name(target)?;
    if moves.is_empty() {
        return Err(SqlError::Engine("restore needs at least one file to move".into()));
    }
    let mut opts: Vec<String> = moves
        .iter()
        .map(|m| format!("MOVE {} TO {}", quote_nstring(&m.logical_name), quote_nstring(&m.physical_path)))
        .collect();
    opts.push("CHECKSUM".into());
    opts.push("RECOVERY".into());
    if replace {
        opts.push("REPLACE".into());
    }
    Ok(format!(
        "RESTORE DATABASE {} FROM DISK = {} WITH {}",
        quote_ident(target)?,
        quote_nstring(file),
        opts.join(", ")
    ))
}

/// Full consistency check without informational messages.
pub fn checkdb_sql(database: &str) -> Result<String, SqlError> {
    validate_tds_name(database)?;
    Ok(format!("DBCC CHECKDB({}) WITH NO_INFOMSGS", quote_ident(database)?))
}

/// User databases with their allocated size (8 KiB pages) and state.
pub fn list_databases_sql() -> &'static str {
    "SELECT CAST(d.name AS NVARCHAR(128)) AS name, \
     CAST(ISNULL(SUM(CAST(mf.size AS BIGINT)), 0) * 8192 AS BIGINT) AS size_bytes, \
     CAST(d.state_desc AS NVARCHAR(60)) AS status \
     FROM sys.databases AS d \
     LEFT JOIN sys.master_files AS mf ON mf.database_id = d.database_id \
     WHERE d.database_id > 4 \
     GROUP BY d.name, d.state_desc \
     ORDER BY d.name"
}

/// Existence check; the name is bound as `@P1`.
pub fn database_exists_sql() -> &'static str {
    "SELECT CAST(COUNT(*) AS INT) AS n FROM sys.databases WHERE name = @P1"
}

/// Per-table row counts (`schema.table`) from the heap/clustered partitions.
pub fn row_counts_sql(database: &str) -> Result<String, SqlError> {
    validate_tds_name(database)?;
    let db = quote_ident(database)?;
    Ok(format!(
        "SELECT CAST(s.name + N'.' + t.name AS NVARCHAR(300)) AS tbl, \
         CAST(SUM(p.rows) AS BIGINT) AS cnt \
         FROM {db}.sys.tables AS t \
         JOIN {db}.sys.schemas AS s ON s.schema_id = t.schema_id \
         JOIN {db}.sys.partitions AS p ON p.object_id = t.object_id AND p.index_id IN (0, 1) \
         WHERE t.is_ms_shipped = 0 \
         GROUP BY s.name, t.name"
    ))
}

/// Puts a database in single-user mode, disconnecting others (used before a
/// requested `REPLACE` of an existing database).
pub fn single_user_sql(database: &str) -> Result<String, SqlError> {
    Ok(format!("ALTER DATABASE {} SET SINGLE_USER WITH ROLLBACK IMMEDIATE", quote_ident(database)?))
}

/// Back to multi-user mode (after a failed replace).
pub fn multi_user_sql(database: &str) -> Result<String, SqlError> {
    Ok(format!("ALTER DATABASE {} SET MULTI_USER", quote_ident(database)?))
}

/// Kind of a file inside a backup, from the FILELISTONLY `Type` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupFileType {
    /// `D`: data file.
    Data,
    /// `L`: log file.
    Log,
    /// `F`: full-text catalog.
    FullText,
    /// `S`: FILESTREAM / memory-optimized container.
    FileStream,
}

impl BackupFileType {
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim() {
            "D" | "d" => Some(Self::Data),
            "L" | "l" => Some(Self::Log),
            "F" | "f" => Some(Self::FullText),
            "S" | "s" => Some(Self::FileStream),
            _ => None,
        }
    }
}

/// Parses FILELISTONLY rows given as `(LogicalName, Type)`.
pub fn parse_filelist<I>(rows: I) -> Result<Vec<(String, BackupFileType)>, SqlError>
where
    I: IntoIterator<Item = (Option<String>, Option<String>)>,
{
    let mut out = Vec::new();
    for (logical, kind) in rows {
        let logical = logical
            .filter(|l| !l.is_empty())
            .ok_or_else(|| SqlError::Engine("backup file list has a file without a logical name".into()))?;
        let code = kind.unwrap_or_default();
        let kind = BackupFileType::from_code(&code).ok_or_else(|| {
            SqlError::Engine(format!("backup file list has unknown file type {code:?} for {logical:?}"))
        })?;
        out.push((logical, kind));
    }
    if !out.iter().any(|(_, k)| *k == BackupFileType::Data) {
        return Err(SqlError::Engine("backup file list contains no data file".into()));
    }
    Ok(out)
}

/// Decides where each logical file goes: first data file `<t>.mdf`, more data
/// files `<t>_<n>.ndf`, first log `<t>_log.ldf`, more logs `<t>_log<n>.ldf`,
/// FILESTREAM/full-text containers `<t>_<logical>` directories.
pub fn plan_moves(target: &str, files: &[(String, BackupFileType)], dest_dir: &str) -> Vec<FileMove> {
    let base = file_fragment(target);
    let (mut data_n, mut log_n) = (0usize, 0usize);
    files
        .iter()
        .map(|(logical, kind)| {
            let name = match kind {
                BackupFileType::Data => {
                    data_n += 1;
                    if data_n == 1 { format!("{base}.mdf") } else { format!("{base}_{data_n}.ndf") }
                }
                BackupFileType::Log => {
                    log_n += 1;
                    if log_n == 1 { format!("{base}_log.ldf") } else { format!("{base}_log{log_n}.ldf") }
                }
                BackupFileType::FullText | BackupFileType::FileStream => {
                    format!("{base}_{}", file_fragment(logical))
                }
            };
            FileMove { logical_name: logical.clone(), physical_path: join_server_path(dest_dir, &name) }
        })
        .collect()
}

/// Joins a directory and file name as the SQL Server host sees paths:
/// backslashes when the directory looks like a Windows path, `/` otherwise.
pub fn join_server_path(dir: &str, file: &str) -> String {
    let windows = dir.contains('\\') || dir.as_bytes().get(1) == Some(&b':');
    let sep = if windows { '\\' } else { '/' };
    let trimmed = dir.trim_end_matches(['\\', '/']);
    format!("{trimmed}{sep}{file}")
}

/// Maps a SQL Server error number to a [`SqlError`]. `database` names the
/// database the statement was about (used for NotFound/AlreadyExists).
pub fn map_server_error(code: u32, message: &str, database: &str) -> SqlError {
    let msg = message.trim();
    match code {
        18456 | 18452 | 18470 | 18486 | 18487 | 18488 => SqlError::Login(msg.to_string()),
        229 | 230 | 262 | 297 | 300 | 916 | 3110 | 15247 => SqlError::Permission(msg.to_string()),
        1801 | 3154 => SqlError::AlreadyExists(database.to_string()),
        911 | 4060 => SqlError::NotFound(database.to_string()),
        3201 => SqlError::Engine(format!(
            "SQL Server cannot open the backup file (error 3201): {msg} \
             (the staging directory must be reachable from the SQL Server host)"
        )),
        _ => SqlError::Engine(format!("SQL Server error {code}: {msg}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("sales").unwrap(), "[sales]");
        assert_eq!(quote_ident("a]b").unwrap(), "[a]]b]");
        assert_eq!(quote_ident("x]; DROP DATABASE y; --").unwrap(), "[x]]; DROP DATABASE y; --]");
        assert!(matches!(quote_ident("a\0b"), Err(SqlError::InvalidName(_))));
        assert!(matches!(quote_ident(&"x".repeat(129)), Err(SqlError::InvalidName(_))));
        assert!(matches!(quote_ident(""), Err(SqlError::InvalidName(_))));
        assert!(quote_ident(&"é".repeat(128)).is_ok());
        assert_eq!(quote_nstring("C:\\bk\\o'brien.bak"), "N'C:\\bk\\o''brien.bak'");
        assert_eq!(quote_nstring(""), "N''");
    }

    #[test]
    fn backup_statement() {
        assert_eq!(
            backup_sql("sales", "/stage/sales_1.bak").unwrap(),
            "BACKUP DATABASE [sales] TO DISK = N'/stage/sales_1.bak' WITH COPY_ONLY, CHECKSUM, INIT"
        );
        assert_eq!(
            backup_sql("we]ird'db", "/s/x.bak").unwrap(),
            "BACKUP DATABASE [we]]ird'db] TO DISK = N'/s/x.bak' WITH COPY_ONLY, CHECKSUM, INIT"
        );
        assert!(matches!(backup_sql("../etc", "/s/x.bak"), Err(SqlError::InvalidName(_))));
    }

    #[test]
    fn restore_statements() {
        assert_eq!(
            restore_filelistonly_sql("/s/a'b.bak"),
            "RESTORE FILELISTONLY FROM DISK = N'/s/a''b.bak'"
        );
        let moves = vec![
            FileMove { logical_name: "sales".into(), physical_path: "D:\\data\\copy.mdf".into() },
            FileMove { logical_name: "sales_log".into(), physical_path: "D:\\data\\copy_log.ldf".into() },
        ];
        assert_eq!(
            restore_sql("copy", "/s/x.bak", &moves, false).unwrap(),
            "RESTORE DATABASE [copy] FROM DISK = N'/s/x.bak' WITH MOVE N'sales' TO N'D:\\data\\copy.mdf', \
             MOVE N'sales_log' TO N'D:\\data\\copy_log.ldf', CHECKSUM, RECOVERY"
        );
        assert!(restore_sql("copy", "/s/x.bak", &moves, true).unwrap().ends_with("CHECKSUM, RECOVERY, REPLACE"));
        assert!(restore_sql("copy", "/s/x.bak", &[], false).is_err());
        assert!(matches!(restore_sql("a/b", "/s/x.bak", &moves, false), Err(SqlError::InvalidName(_))));
    }

    #[test]
    fn other_statements() {
        assert_eq!(checkdb_sql("s]x").unwrap(), "DBCC CHECKDB([s]]x]) WITH NO_INFOMSGS");
        assert!(list_databases_sql().contains("database_id > 4"));
        assert!(list_databases_sql().contains("sys.master_files"));
        let rc = row_counts_sql("my db").unwrap();
        assert!(rc.contains("FROM [my db].sys.tables"));
        assert!(rc.contains("[my db].sys.partitions"));
        assert_eq!(single_user_sql("a").unwrap(), "ALTER DATABASE [a] SET SINGLE_USER WITH ROLLBACK IMMEDIATE");
        assert_eq!(multi_user_sql("a").unwrap(), "ALTER DATABASE [a] SET MULTI_USER");
    }

    fn row(l: &str, t: &str) -> (Option<String>, Option<String>) {
        (Some(l.to_string()), Some(t.to_string()))
    }

    #[test]
    fn filelist_parsing() {
        let files = parse_filelist(vec![row("sales", "D"), row("sales_log", "L")]).unwrap();
        assert_eq!(files, vec![("sales".into(), BackupFileType::Data), ("sales_log".into(), BackupFileType::Log)]);
        assert!(parse_filelist(vec![row("x", "Q")]).is_err());
        assert!(parse_filelist(vec![row("log", "L")]).is_err());
        assert!(parse_filelist(vec![(None, Some("D".into()))]).is_err());
        assert!(parse_filelist(Vec::new()).is_err());
    }

    #[test]
    fn move_planning() {
        let files = parse_filelist(vec![
            row("sales", "D"),
            row("sales_log", "L"),
            row("sales_2", "D"),
            row("fs", "S"),
        ])
        .unwrap();
        let moves = plan_moves("sales copy", &files, "C:\\SQL\\DATA\\");
        let paths: Vec<&str> = moves.iter().map(|m| m.physical_path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "C:\\SQL\\DATA\\sales_copy.mdf",
                "C:\\SQL\\DATA\\sales_copy_log.ldf",
                "C:\\SQL\\DATA\\sales_copy_2.ndf",
                "C:\\SQL\\DATA\\sales_copy_fs",
            ]
        );
        let moves = plan_moves("t", &files[..2], "/var/opt/mssql/data/");
        assert_eq!(moves[0].physical_path, "/var/opt/mssql/data/t.mdf");
        assert_eq!(moves[1].physical_path, "/var/opt/mssql/data/t_log.ldf");
        assert_eq!(moves[1].logical_name, "sales_log");
    }

    #[test]
    fn server_paths() {
        assert_eq!(join_server_path("D:", "x.mdf"), "D:\\x.mdf");
        assert_eq!(join_server_path("/data", "x.mdf"), "/data/x.mdf");
        assert_eq!(join_server_path("\\\\srv\\share\\", "x.mdf"), "\\\\srv\\share\\x.mdf");
    }

    #[test]
    fn error_mapping() {
        assert!(matches!(map_server_error(18456, "Login failed for user 'sa'.", ""), SqlError::Login(_)));
        for code in [229, 262, 3110] {
            assert!(matches!(map_server_error(code, "denied", "db"), SqlError::Permission(_)), "{code}");
        }
        match map_server_error(1801, "Database 'x' already exists.", "x") {
            SqlError::AlreadyExists(d) => assert_eq!(d, "x"),
            e => panic!("unexpected {e:?}"),
        }
        match map_server_error(911, "Database 'x' does not exist.", "x") {
            SqlError::NotFound(d) => assert_eq!(d, "x"),
            e => panic!("unexpected {e:?}"),
        }
        assert!(matches!(map_server_error(3201, "Cannot open backup device", "x"), SqlError::Engine(m) if m.contains("3201")));
        assert!(matches!(map_server_error(50000, "custom", "x"), SqlError::Engine(m) if m.contains("50000")));
    }
}
