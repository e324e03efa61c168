//! Brands.

use xingfu_platform::Error;
use xingfu_proto::workshops as pb;

use super::Workshops;
use crate::domain::Brand;
use crate::storage::COUNTERS;
use crate::storage::catalogue::{self as store, Registered};

impl Workshops {
    /// Registers a brand; the same brand again returns it.
    pub async fn register_brand(&self, brand: Brand) -> Result<Brand, Error> {
        let mut tx = self.db.begin().await?;
        match store::insert(&mut tx, &brand).await? {
            Registered::New => {
                let event = pb::BrandRegistered::from(&brand);
                self.outbox
                    .enqueue(&mut tx, brand.id.as_str(), &event)
                    .await?;
                COUNTERS.bump(&mut tx, "brands", "all", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(brand)
            }
            Registered::IdTaken(existing) if existing.same_as(&brand) => {
                tx.rollback().await?;
                Ok(existing)
            }
            Registered::IdTaken(_) => Err(Error::AlreadyExists {
                resource: "brand",
                id: brand.id.to_string(),
                message: "a different brand is registered under this id".into(),
            }),
            Registered::DepartmentTaken(other) => Err(Error::AlreadyExists {
                resource: "brand",
                id: brand.department_id.to_string(),
                message: format!(
                    "the department sponsors brand {} already: one department, one product",
                    other.id
                ),
            }),
        }
    }

    /// Brands in id order after `after`.
    pub async fn brands(&self, after: Option<&str>, limit: i64) -> Result<Vec<Brand>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::list(&mut conn, after, limit).await?)
    }
}
