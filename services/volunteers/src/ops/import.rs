//! Importing the directory from a file: every good row registered in one transaction,
//! every bad one reported with its line. Only a programme-wide caller imports (the route
//! table admits no other: `access::importing_the_directory`).

use xingfu_platform::Error;

use super::Volunteers;
use crate::domain::{Community, Organisation};

/// A parsed row of a directory import.
#[derive(Debug, Clone)]
pub enum DirectoryRow {
    /// An organisation.
    Organisation(Organisation),
    /// A community.
    Community(Community),
}

/// What an import came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Organisations registered.
    pub organisations: i64,
    /// Communities registered.
    pub communities: i64,
    /// Rows registered before with the same content.
    pub already_registered: i64,
    /// (line, reason) of refused rows.
    pub rejected: Vec<(i64, String)>,
}

impl Volunteers {
    /// Registers parsed rows in file order (a parent before its children), all in one
    /// transaction; a row that cannot be registered is reported and the others kept.
    pub async fn import_directory(
        &self,
        rows: Vec<(i64, DirectoryRow)>,
        mut report: ImportReport,
    ) -> Result<ImportReport, Error> {
        let mut tx = self.db.begin().await?;
        for (line, row) in rows {
            let result = match row {
                DirectoryRow::Organisation(org) => self
                    .put_organisation(&mut tx, org)
                    .await
                    .map(|(_, fresh)| (fresh, true)),
                DirectoryRow::Community(c) => self
                    .put_community(&mut tx, c)
                    .await
                    .map(|(_, fresh)| (fresh, false)),
            };
            match result {
                Ok((true, true)) => report.organisations += 1,
                Ok((true, false)) => report.communities += 1,
                Ok((false, _)) => report.already_registered += 1,
                Err(Error::Unexpected(err)) => return Err(Error::Unexpected(err)),
                Err(Error::Unavailable(err)) => return Err(Error::Unavailable(err)),
                Err(other) => report.rejected.push((line, other.to_string())),
            }
        }
        self.outbox.commit(tx).await?;
        Ok(report)
    }
}
