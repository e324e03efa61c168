//! Which directory and register ids an answer mentions the volunteers service's events
//! have confirmed, so its references show `verified`.

use std::collections::HashSet;

use xingfu_directory::{Kind, known};
use xingfu_platform::Error;

use super::Workshops;

/// The confirmed ids among those an answer mentions.
#[derive(Debug, Default)]
pub struct Known {
    organisations: HashSet<String>,
    communities: HashSet<String>,
    volunteers: HashSet<String>,
}

impl Known {
    /// Whether the directory has confirmed the organisation `id`.
    pub fn organisation(&self, id: &str) -> bool {
        self.organisations.contains(id)
    }

    /// Whether the directory has confirmed the community `id`.
    pub fn community(&self, id: &str) -> bool {
        self.communities.contains(id)
    }

    /// Whether the register has confirmed the volunteer `id`.
    pub fn volunteer(&self, id: &str) -> bool {
        self.volunteers.contains(id)
    }
}

impl Workshops {
    /// The confirmed ids among these, looked up in the read models.
    pub async fn known(
        &self,
        organisations: &[&str],
        communities: &[&str],
        volunteers: &[&str],
    ) -> Result<Known, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(Known {
            organisations: known(&mut conn, Kind::Organisation, organisations).await?,
            communities: known(&mut conn, Kind::Community, communities).await?,
            volunteers: known(&mut conn, Kind::Volunteer, volunteers).await?,
        })
    }
}
