//! A caller limited to an organisation's subtree (`organisation` in its policy entry) may
//! only name organisations within it. The gateway knows the directory's hierarchy from the
//! volunteers service's events (`known_organisations`) and reads the organisations a
//! request names from its top-level fields `organisation_id`, `…_organisation_id` and
//! `department_id`: when the request has such a field, the limited caller must fill it
//! with an organisation at or below its own (a list without that filter would show other
//! organisations' data). Requests with no such field are left to the caller's scopes.

use prost_reflect::{DynamicMessage, MessageDescriptor, Value};
use xingfu_platform::db::Database;

/// The deepest hierarchy walked before giving up (the directory refuses cycles).
const MAX_DEPTH: usize = 64;

/// The directory's hierarchy as the gateway knows it.
#[derive(Clone, Debug)]
pub struct Subtrees {
    db: Database,
}

impl Subtrees {
    /// The hierarchy kept in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Whether `id` is `root` or below it. An organisation the gateway has not heard of
    /// is not (yet) within anything.
    pub async fn contains(&self, root: &str, id: &str) -> Result<bool, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        let mut current = id.to_owned();
        for _ in 0..MAX_DEPTH {
            if current == root {
                return Ok(true);
            }
            let parent: Option<Option<String>> = sqlx::query_scalar(
                "SELECT parent_id FROM known_organisations WHERE organisation_id = $1",
            )
            .bind(&current)
            .fetch_optional(&mut *conn)
            .await?;
            match parent.flatten().filter(|p| !p.is_empty()) {
                Some(parent) => current = parent,
                None => return Ok(false),
            }
        }
        Ok(false)
    }
}

/// Whether a field names an organisation.
fn names_organisation(field: &str) -> bool {
    field.ends_with("organisation_id") || field == "department_id"
}

/// Whether requests of this type name an organisation.
pub fn has_organisation_field(input: &MessageDescriptor) -> bool {
    input.fields().any(|f| names_organisation(f.name()))
}

/// The organisations `message` names (non-empty values of its organisation fields).
pub fn named_organisations(message: &DynamicMessage) -> Vec<String> {
    use prost_reflect::ReflectMessage as _;
    message
        .descriptor()
        .fields()
        .filter(|f| names_organisation(f.name()))
        .filter_map(|f| match message.get_field(&f).as_ref() {
            Value::String(id) if !id.is_empty() => Some(id.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_fields_are_found_by_name() {
        let pool = crate::http::pool();
        let team = pool
            .get_message_by_name("xingfu.volunteers.v1.FormTeamRequest")
            .unwrap();
        assert!(has_organisation_field(&team));
        let mut message = DynamicMessage::new(team);
        message.set_field_by_name("organisation_id", Value::String("beiao-party".into()));
        assert_eq!(named_organisations(&message), ["beiao-party"]);
        let get = pool
            .get_message_by_name("xingfu.volunteers.v1.GetVolunteerRequest")
            .unwrap();
        assert!(!has_organisation_field(&get));
        let workshop = pool
            .get_message_by_name("xingfu.workshops.v1.CreateWorkshopRequest")
            .unwrap();
        assert!(has_organisation_field(&workshop), "department_id");
    }
}
