//! The volunteer register: personal data is sealed, digested and masked here, before
//! anything is stored, and never leaves the service in clear except the name to callers.

use xingfu_platform::Error;
use xingfu_platform::checked::RecordId;
use xingfu_platform::pii::{mask_name, mask_phone};
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, boundary, require_community, require_organisation};
use crate::domain::register::{
    NewVolunteer, Volunteer, VolunteerFilter, join_skills, mask_id_number,
};
use crate::storage::register::{self as store, Registration, SealedVolunteer, StoredVolunteer};
use crate::storage::{COUNTERS, Keyed};

/// What a volunteer is found by.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A phone, normalised.
    Phone(String),
    /// An ID number, normalised.
    IdNumber(String),
}

impl Volunteers {
    /// Registers a volunteer at a work organisation and a home community of the directory;
    /// a retry with the same request returns the volunteer registered first. A limited
    /// caller registers only volunteers it would see; `reveal` as for [`Self::volunteer_for`].
    pub async fn register_volunteer(
        &self,
        caller: &Caller,
        new: NewVolunteer,
        reveal: bool,
    ) -> Result<Volunteer, Error> {
        let mut tx = self.db.begin().await?;
        require_organisation(&mut tx, &new.work_organisation_id).await?;
        require_community(&mut tx, &new.home_community_id).await?;
        let owners =
            boundary::volunteer_owners(&mut tx, &new.work_organisation_id, &new.home_community_id)
                .await?;
        let home = boundary::location(&mut tx, &new.home_community_id).await?;
        boundary::require_inside(
            caller,
            &owners,
            &home,
            "a volunteer of this work organisation and home",
        )?;
        let sealed = self.seal(&new);
        match store::insert(&mut tx, &sealed).await? {
            Registration::Keyed(Keyed::New(stored)) => {
                let event = pb::VolunteerRegistered::from(&stored.volunteer);
                self.outbox
                    .enqueue(&mut tx, sealed.id.as_str(), &event)
                    .await?;
                COUNTERS.bump(&mut tx, "volunteers", "all", 1).await?;
                if new.party_member {
                    COUNTERS.bump(&mut tx, "volunteers", "party", 1).await?;
                }
                self.outbox.commit(tx).await?;
                Ok(self.opened(stored, reveal))
            }
            Registration::Keyed(Keyed::Existing(stored, hash)) if hash == sealed.request_hash => {
                tx.rollback().await?;
                Ok(self.opened(stored, reveal))
            }
            Registration::Keyed(Keyed::Existing(..)) => Err(Error::AlreadyExists {
                resource: "volunteer request",
                id: new.request_id.to_string(),
                message: "request_id was used for another registration".into(),
            }),
            Registration::IdNumberTaken => Err(Error::AlreadyExists {
                resource: "volunteer",
                id: mask_id_number(&new.id_number),
                message: "a volunteer with this ID number is registered already".into(),
            }),
        }
    }

    /// The volunteer `id`, if the caller sees them; with `reveal` (the caller holds
    /// `pii:read`), the name, phone and ID number in clear, else all three masked.
    pub async fn volunteer_for(
        &self,
        caller: &Caller,
        id: &RecordId,
        reveal: bool,
    ) -> Result<Volunteer, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let stored = boundary::volunteer(&mut conn, caller, id)
            .await?
            .ok_or_else(|| Error::not_found("volunteer", id.as_str()))?;
        Ok(self.opened(stored, reveal))
    }

    /// A page of the volunteers `filter` admits that the caller sees, in id order after
    /// `after`; names in clear when `reveal`.
    pub async fn volunteers(
        &self,
        caller: &Caller,
        filter: &VolunteerFilter,
        after: Option<&str>,
        limit: i64,
        reveal: bool,
    ) -> Result<Vec<Volunteer>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let inside = boundary::inside(&mut conn, caller).await?;
        let stored = store::list(&mut conn, filter, &inside, after, limit).await?;
        Ok(stored
            .into_iter()
            .map(|stored| self.opened(stored, reveal))
            .collect())
    }

    /// The volunteer with this phone (the first registered) or ID number, if the caller
    /// sees them. The caller must hold `pii:read` (checked by the API): a look-up by a
    /// clear value is a read of it.
    pub async fn find_volunteer(
        &self,
        caller: &Caller,
        lookup: Lookup,
        reveal: bool,
    ) -> Result<Volunteer, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let stored = match &lookup {
            Lookup::Phone(phone) => {
                store::by_phone(&mut conn, &self.pii.digest(["phone", phone])).await?
            }
            Lookup::IdNumber(number) => {
                store::by_id_number(&mut conn, &self.pii.digest(["id_number", number])).await?
            }
        };
        // The id in the error is masked: the lookup value is personal data.
        let shown = match &lookup {
            Lookup::Phone(phone) => mask_phone(phone),
            Lookup::IdNumber(number) => mask_id_number(number),
        };
        let stored = match stored {
            Some(stored)
                if boundary::sees_volunteer(&mut conn, caller, &stored.volunteer).await? =>
            {
                stored
            }
            _ => return Err(Error::not_found("volunteer", &shown)),
        };
        Ok(self.opened(stored, reveal))
    }

    fn seal(&self, new: &NewVolunteer) -> SealedVolunteer {
        let skills = join_skills(&new.skills);
        let party = if new.party_member { "1" } else { "0" };
        SealedVolunteer {
            id: RecordId::generate(),
            request_id: new.request_id.clone(),
            request_hash: self.pii.digest([
                "request",
                new.name.as_str(),
                new.phone.as_str(),
                new.id_number.as_str(),
                party,
                new.work_organisation_id.as_str(),
                new.home_community_id.as_str(),
                skills.as_str(),
            ]),
            name_sealed: self.pii.seal(&new.name),
            phone_sealed: self.pii.seal(&new.phone),
            phone_digest: self.pii.digest(["phone", new.phone.as_str()]),
            phone_masked: mask_phone(&new.phone),
            id_number_sealed: self.pii.seal(&new.id_number),
            id_number_digest: self.pii.digest(["id_number", new.id_number.as_str()]),
            id_number_masked: mask_id_number(&new.id_number),
            party_member: new.party_member,
            work_organisation_id: new.work_organisation_id.clone(),
            home_community_id: new.home_community_id.clone(),
            skills: new.skills.clone(),
            created_at: now_micros(),
        }
    }

    /// The stored volunteer with its name opened and, with `reveal`, in clear with its
    /// phone and ID number; without, the name masked (陈**) as workers' and donors' are.
    /// A value sealed under another key shows as "***" rather than failing.
    fn opened(&self, stored: StoredVolunteer, reveal: bool) -> Volunteer {
        let open = |sealed: &str| self.pii.open(sealed).unwrap_or_else(|| "***".into());
        let mut volunteer = stored.volunteer;
        let name = open(&stored.name_sealed);
        volunteer.name = if reveal { name } else { mask_name(&name) };
        if reveal {
            volunteer.revealed = Some((open(&stored.phone_sealed), open(&stored.id_number_sealed)));
        }
        volunteer
    }
}
