//! A caller limited to an organisation's subtree (`organisation` in its policy entry) may
//! only name organisations within it. The gateway knows the directory's hierarchy from the
//! volunteers service's events (`known_organisations`) and reads the organisations a
//! request names from its fields, nested ones included: `organisation_id`,
//! `…_organisation_id`, `department_id`, `parent_id`, and the `id` of the organisation
//! calls. Every organisation a limited caller names must lie at or below its own. This is
//! the first wall: a request naming none (a list without that filter) goes on, and the
//! service behind filters it by the vouched boundary. Streamed imports, which the gateway
//! cannot read whole, are refused to limited callers.

use prost_reflect::{DynamicMessage, MessageDescriptor, Value};
use xingfu_directory::{self as known, Hierarchy};
use xingfu_platform::db::Database;

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
        let lineage = known::lineage(&mut conn, Hierarchy::Known, id).await?;
        // An organisation not heard of has a lineage of itself alone: inside only if root.
        Ok(lineage.iter().any(|o| o == root))
    }
}

/// Messages whose `id` is an organisation's.
const ORGANISATION_MESSAGES: [&str; 3] = [
    "xingfu.volunteers.v1.RegisterOrganisationRequest",
    "xingfu.volunteers.v1.UpdateOrganisationRequest",
    "xingfu.volunteers.v1.GetOrganisationRequest",
];

/// How deep nested messages are searched.
const FIELD_DEPTH: usize = 3;

/// Whether `field` of `message` names an organisation.
fn names_organisation(message: &MessageDescriptor, field: &str) -> bool {
    field.ends_with("organisation_id")
        || field == "department_id"
        || field == "parent_id"
        || (field == "id" && ORGANISATION_MESSAGES.contains(&message.full_name()))
}

/// Whether requests of this type name an organisation, anywhere in them.
pub fn has_organisation_field(input: &MessageDescriptor) -> bool {
    fn walk(message: &MessageDescriptor, depth: usize) -> bool {
        message.fields().any(|f| {
            names_organisation(message, f.name())
                || match f.kind() {
                    prost_reflect::Kind::Message(inner) if depth < FIELD_DEPTH => {
                        walk(&inner, depth + 1)
                    }
                    _ => false,
                }
        })
    }
    walk(input, 0)
}

/// The organisations `message` names (non-empty values of its organisation fields,
/// nested ones included).
pub fn named_organisations(message: &DynamicMessage) -> Vec<String> {
    fn walk(message: &DynamicMessage, depth: usize, out: &mut Vec<String>) {
        use prost_reflect::ReflectMessage as _;
        let descriptor = message.descriptor();
        for field in descriptor.fields() {
            match message.get_field(&field).as_ref() {
                Value::String(id)
                    if !id.is_empty() && names_organisation(&descriptor, field.name()) =>
                {
                    out.push(id.clone());
                }
                Value::Message(inner) if depth < FIELD_DEPTH => walk(inner, depth + 1, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(message, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_fields_are_found_by_name() {
        let pool = crate::descriptors::pool();
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
        let update = pool
            .get_message_by_name("xingfu.volunteers.v1.UpdateOrganisationRequest")
            .unwrap();
        let mut message = DynamicMessage::new(update.clone());
        message.set_field_by_name("id", Value::String("other-org".into()));
        let mut values = DynamicMessage::new(
            pool.get_message_by_name("xingfu.volunteers.v1.RegisterOrganisationRequest")
                .unwrap(),
        );
        values.set_field_by_name("parent_id", Value::String("beiao-party".into()));
        message.set_field_by_name("values", Value::Message(values));
        assert_eq!(
            named_organisations(&message),
            ["other-org", "beiao-party"],
            "the organisation moved and its new parent, nested"
        );
    }
}
