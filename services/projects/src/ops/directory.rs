//! What the directory read model confirms of the ids an answer mentions.

use xingfu_directory::{Kind, known};
use xingfu_platform::Error;

use super::Library;
use crate::domain::Verified;

impl Library {
    /// Which of `organisations` and `communities` the directory knows.
    pub async fn verified(
        &self,
        organisations: &[&str],
        communities: &[&str],
    ) -> Result<Verified, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(Verified {
            organisations: known(&mut conn, Kind::Organisation, organisations).await?,
            communities: known(&mut conn, Kind::Community, communities).await?,
        })
    }
}
