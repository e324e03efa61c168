//! The funds service's SQL, and the only place it lives. Write functions take a connection
//! (a transaction derefs to one), so a posting, its balances and its event commit together.

pub mod donations;
pub mod funds;
pub mod grants;
pub mod ledger;
pub mod projects;
pub mod reports;

pub(crate) use xingfu_platform::db::corrupt;
