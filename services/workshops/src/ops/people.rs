//! Appointing commissioners, red stewards and star brokers, and rating brokers.

use xingfu_platform::Error;
use xingfu_platform::checked::{Note, RecordId, RequestId};
use xingfu_platform::time::now_micros;
use xingfu_proto::workshops as pb;

use super::{Workshops, events, workshop};
use crate::access::Scope;
use crate::domain::people::{Appointment, ListFilters, NewAppointment, Place, Rating, Role};
use crate::storage::Keyed;
use crate::storage::people as store;

impl Workshops {
    /// Appoints a volunteer; a retry returns the first appointment. The volunteer is
    /// taken as given and shown verified once the register's event confirms them.
    pub async fn appoint(&self, new: NewAppointment) -> Result<Appointment, Error> {
        if !new.place.fits(new.role) {
            return Err(Error::invalid(
                "workshop_id",
                format!("a {} belongs to a workshop", new.role.as_str()),
            ));
        }
        let mut tx = self.db.begin().await?;
        if let Place::Workshop(id) = &new.place {
            workshop(&mut tx, id).await?;
        }
        let id = RecordId::generate();
        match store::insert(&mut tx, &id, &new, now_micros()).await? {
            Keyed::New(appointment) => {
                let event = pb::PersonAppointed::from(&appointment);
                self.outbox
                    .enqueue(&mut tx, appointment.id.as_str(), &event)
                    .await?;
                self.outbox.commit(tx).await?;
                Ok(appointment)
            }
            Keyed::Existing(appointment, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(appointment)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "appointment request",
                new.request_id.as_str(),
                "appointment",
            )),
        }
    }

    /// Ends an appointment; again changes nothing.
    pub async fn end_appointment(&self, id: &RecordId) -> Result<Appointment, Error> {
        let mut tx = self.db.begin().await?;
        let current = appointment(&mut tx, id).await?;
        if !store::end(&mut tx, id, now_micros()).await? {
            tx.rollback().await?;
            return self.appointment(id).await;
        }
        let event = pb::AppointmentEnded::from(&current);
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        let ended = appointment(&mut tx, id).await?;
        self.outbox.commit(tx).await?;
        Ok(ended)
    }

    /// The appointment `id`.
    pub async fn appointment(&self, id: &RecordId) -> Result<Appointment, Error> {
        let mut conn = self.db.pool().acquire().await?;
        appointment(&mut conn, id).await
    }

    /// Appointments by `filters`, in creation order after `after`.
    pub async fn appointments(
        &self,
        filters: &ListFilters,
        scope: &Scope,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Appointment>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::list(&mut conn, filters, scope, after, limit).await?)
    }

    /// Rates a current star broker; a retry changes nothing.
    pub async fn rate_broker(
        &self,
        request_id: &RequestId,
        appointment_id: &RecordId,
        stars: i64,
        note: Note<500>,
    ) -> Result<Appointment, Error> {
        let fingerprint = xingfu_platform::validate::fingerprint([
            appointment_id.as_str(),
            &stars.to_string(),
            note.as_str(),
        ]);
        let mut tx = self.db.begin().await?;
        // A retry answers as the first call did, even if the broker has since left.
        if let Some(used) = store::rating_request(&mut tx, request_id).await? {
            tx.rollback().await?;
            return if used == fingerprint {
                self.appointment(appointment_id).await
            } else {
                Err(Error::reused_key(
                    "rating request",
                    request_id.as_str(),
                    "rating",
                ))
            };
        }
        let current = appointment(&mut tx, appointment_id).await?;
        if current.role != Role::StarBroker || !current.active {
            return Err(Error::precondition(
                "NOT_A_STAR_BROKER",
                format!("appointments/{appointment_id}"),
                "only a current star broker is rated",
            ));
        }
        let rating = Rating {
            stars,
            note,
            created_at: now_micros(),
        };
        match store::rate(&mut tx, request_id, &fingerprint, appointment_id, &rating).await? {
            None => {
                let event = events::broker_rated(&current, stars);
                self.outbox
                    .enqueue(&mut tx, appointment_id.as_str(), &event)
                    .await?;
                let rated = appointment(&mut tx, appointment_id).await?;
                self.outbox.commit(tx).await?;
                Ok(rated)
            }
            Some(used) if used == fingerprint => {
                tx.rollback().await?;
                self.appointment(appointment_id).await
            }
            Some(_) => Err(Error::reused_key(
                "rating request",
                request_id.as_str(),
                "rating",
            )),
        }
    }

    /// A broker's ratings, newest first, before the rating `before`: (rating id, rating).
    pub async fn broker_ratings(
        &self,
        appointment_id: &RecordId,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(RecordId, Rating)>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        appointment(&mut conn, appointment_id).await?;
        Ok(store::ratings(&mut conn, appointment_id, before, limit).await?)
    }
}

async fn appointment(conn: &mut sqlx::AnyConnection, id: &RecordId) -> Result<Appointment, Error> {
    store::get(conn, id)
        .await?
        .ok_or_else(|| Error::not_found("appointment", id.as_str()))
}
