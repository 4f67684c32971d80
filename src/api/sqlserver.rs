//! SQL Server wire types.
