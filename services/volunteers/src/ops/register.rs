//! The volunteer register: personal data is sealed, digested and masked here, before
//! anything is stored, and never leaves the service in clear except the name to callers.

use sqlx::AnyConnection;
use xingfu_platform::Error;
use xingfu_platform::checked::RecordId;
use xingfu_platform::pii::{mask_name, mask_phone};
use xingfu_platform::time::now_micros;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;

use super::{Volunteers, boundary, require_community, require_organisation};
use crate::domain::register::{
    Affiliation, AffiliationFilter, NewVolunteer, Volunteer, VolunteerFilter, VolunteerPatch,
    VolunteerStatus, WithdrawalReason, join_skills, mask_id_number,
};
use crate::storage::register::{self as store, Registration, SealedVolunteer, StoredVolunteer};
use crate::storage::{COUNTERS, Keyed, evaluations as evaluation_store};

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
                open_affiliation(&mut tx, &stored.volunteer, sealed.created_at).await?;
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

    /// Changes what `patch` sets on the volunteer `id`, if the caller sees them and they
    /// are still at `version`. A change of where they work or live, or of Party
    /// membership, ends their affiliation and opens the next; one that changes nothing
    /// returns them as they are. A limited caller cannot move them outside its boundary.
    pub async fn update_volunteer(
        &self,
        caller: &Caller,
        id: &RecordId,
        version: i64,
        patch: VolunteerPatch,
        reveal: bool,
    ) -> Result<Volunteer, Error> {
        let mut tx = self.db.begin().await?;
        let stored = boundary::volunteer(&mut tx, caller, id)
            .await?
            .ok_or_else(|| Error::not_found("volunteer", id.as_str()))?;
        require_active(&stored.volunteer)?;
        if stored.volunteer.version != version {
            return Err(Error::Aborted(format!(
                "volunteer {id} is at version {}, not {version}; read it again",
                stored.volunteer.version
            )));
        }
        let mut next = stored.clone();
        let mut changed = Vec::new();
        if let Some(name) = &patch.name
            && self.pii.open(&stored.name_sealed).as_deref() != Some(name.as_str())
        {
            next.name_sealed = self.pii.seal(name);
            changed.push("name");
        }
        if let Some(phone) = &patch.phone {
            let digest = self.pii.digest(["phone", phone.as_str()]);
            if digest != stored.phone_digest {
                next.phone_sealed = self.pii.seal(phone);
                next.phone_digest = digest;
                next.volunteer.phone_masked = mask_phone(phone);
                changed.push("phone");
            }
        }
        let v = &mut next.volunteer;
        if let Some(party_member) = patch.party_member
            && party_member != v.party_member
        {
            v.party_member = party_member;
            changed.push("party_member");
        }
        if let Some(work) = patch.work_organisation_id
            && work != v.work_organisation_id
        {
            require_organisation(&mut tx, &work).await?;
            v.work_organisation_id = work;
            changed.push("work_organisation_id");
        }
        if let Some(home) = patch.home_community_id
            && home != v.home_community_id
        {
            require_community(&mut tx, &home).await?;
            v.home_community_id = home;
            changed.push("home_community_id");
        }
        if let Some(skills) = patch.skills
            && skills != v.skills
        {
            v.skills = skills;
            changed.push("skills");
        }
        if changed.is_empty() {
            tx.rollback().await?;
            return Ok(self.opened(stored, reveal));
        }
        let moved = next.volunteer.affiliation() != stored.volunteer.affiliation();
        if moved {
            let v = &next.volunteer;
            let owners =
                boundary::volunteer_owners(&mut tx, &v.work_organisation_id, &v.home_community_id)
                    .await?;
            let home = boundary::location(&mut tx, &v.home_community_id).await?;
            boundary::require_inside(
                caller,
                &owners,
                &home,
                "a volunteer of this work organisation and home",
            )?;
        }
        if !store::save(&mut tx, &next, version).await? {
            return Err(Error::Aborted(format!(
                "volunteer {id} changed meanwhile; read it again"
            )));
        }
        next.volunteer.version = version + 1;
        if moved {
            let now = now_micros();
            store::close_affiliation(&mut tx, id, now).await?;
            open_affiliation(&mut tx, &next.volunteer, now).await?;
        }
        let was_party = stored.volunteer.party_member;
        if next.volunteer.party_member != was_party {
            let delta = if was_party { -1 } else { 1 };
            COUNTERS.bump(&mut tx, "volunteers", "party", delta).await?;
        }
        let event = pb::VolunteerUpdated {
            changed: changed.iter().map(|field| (*field).to_owned()).collect(),
            ..pb::VolunteerUpdated::from(&next.volunteer)
        };
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        Ok(self.opened(next, reveal))
    }

    /// Withdraws the volunteer `id`, if the caller sees them: their affiliation ends, the
    /// record and its history stay. Withdrawing a withdrawn or erased one returns it.
    pub async fn withdraw_volunteer(
        &self,
        caller: &Caller,
        id: &RecordId,
        reason: &WithdrawalReason,
        reveal: bool,
    ) -> Result<Volunteer, Error> {
        let mut tx = self.db.begin().await?;
        let stored = boundary::volunteer(&mut tx, caller, id)
            .await?
            .ok_or_else(|| Error::not_found("volunteer", id.as_str()))?;
        let now = now_micros();
        if !store::withdraw(&mut tx, id, reason.as_str(), now).await? {
            // Withdrawn already (or meanwhile): it stands as it is.
            tx.rollback().await?;
            return self.volunteer_for(caller, id, reveal).await;
        }
        store::close_affiliation(&mut tx, id, now).await?;
        let event = pb::VolunteerWithdrawn::from(&stored.volunteer);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        COUNTERS.bump(&mut tx, "volunteers", "withdrawn", 1).await?;
        self.outbox.commit(tx).await?;
        self.volunteer_for(caller, id, reveal).await
    }

    /// Erases the withdrawn volunteer `id`'s personal data, if the caller sees them (the
    /// caller holds `pii:erase`, checked by the API): see [`store::erase`]. Their id,
    /// affiliations, service records and evaluation scores stay, so no figure moves.
    /// Erasing an erased one returns it; an active one is FAILED_PRECONDITION.
    pub async fn erase_volunteer(
        &self,
        caller: &Caller,
        id: &RecordId,
    ) -> Result<Volunteer, Error> {
        let mut tx = self.db.begin().await?;
        let stored = boundary::volunteer(&mut tx, caller, id)
            .await?
            .ok_or_else(|| Error::not_found("volunteer", id.as_str()))?;
        match stored.volunteer.status {
            VolunteerStatus::Erased => {
                tx.rollback().await?;
                return Ok(self.opened(stored, false));
            }
            VolunteerStatus::Active => {
                return Err(Error::FailedPrecondition {
                    kind: "VOLUNTEER_ACTIVE",
                    subject: format!("volunteers/{id}"),
                    message: format!(
                        "volunteer {id} is active: withdraw them before erasing their data"
                    ),
                });
            }
            VolunteerStatus::Withdrawn => {}
        }
        if !store::erase(&mut tx, id, now_micros()).await? {
            return Err(Error::Aborted(format!(
                "volunteer {id} changed meanwhile; read it again"
            )));
        }
        evaluation_store::clear_comments(&mut tx, id).await?;
        let event = pb::VolunteerErased {
            volunteer_id: id.to_string(),
        };
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        self.outbox.commit(tx).await?;
        self.volunteer_for(caller, id, false).await
    }

    /// A page of the affiliations `filter` admits that the caller sees, in id order after
    /// `after`.
    pub async fn affiliations(
        &self,
        caller: &Caller,
        filter: &AffiliationFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Affiliation>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let inside = boundary::inside(&mut conn, caller).await?;
        Ok(store::affiliations(&mut conn, filter, &inside, after, limit).await?)
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
    /// A value sealed under another key shows as "***" rather than failing; an erased
    /// volunteer has nothing left to open, and shows nothing.
    pub(super) fn opened(&self, stored: StoredVolunteer, reveal: bool) -> Volunteer {
        let open = |sealed: &str| self.pii.open(sealed).unwrap_or_else(|| "***".into());
        let mut volunteer = stored.volunteer;
        if volunteer.status == VolunteerStatus::Erased {
            return volunteer;
        }
        let name = open(&stored.name_sealed);
        volunteer.name = if reveal { name } else { mask_name(&name) };
        if reveal {
            volunteer.revealed = Some((open(&stored.phone_sealed), open(&stored.id_number_sealed)));
        }
        volunteer
    }
}

/// FAILED_PRECONDITION (`VOLUNTEER_WITHDRAWN`) unless the volunteer is active: a withdrawn
/// or erased one serves no more.
pub(super) fn require_active(volunteer: &Volunteer) -> Result<(), Error> {
    if volunteer.status == VolunteerStatus::Active {
        return Ok(());
    }
    Err(Error::FailedPrecondition {
        kind: "VOLUNTEER_WITHDRAWN",
        subject: format!("volunteers/{}", volunteer.id),
        message: format!("volunteer {} has withdrawn", volunteer.id),
    })
}

/// Opens the volunteer's affiliation as it stands, from `at`.
async fn open_affiliation(
    conn: &mut AnyConnection,
    volunteer: &Volunteer,
    at: i64,
) -> Result<(), Error> {
    let affiliation = Affiliation {
        id: RecordId::generate(),
        volunteer_id: volunteer.id.clone(),
        work_organisation_id: volunteer.work_organisation_id.clone(),
        home_community_id: volunteer.home_community_id.clone(),
        party_member: volunteer.party_member,
        valid_from: at,
        valid_until: None,
    };
    Ok(store::open_affiliation(conn, &affiliation).await?)
}
