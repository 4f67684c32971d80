//! mirrorvault: backup vaults with cross-region mirror vaults.
