//! Residents' needs (群众需求 / 问需) and how they are decided.

use xingfu_platform::FieldViolation;

use super::project::MAX_TITLE_CHARS;
use super::{Category, DirectoryId, Line, Reason, RecordId, RequestId, Text};
use xingfu_platform::named_enum;

/// Longest need description, in characters.
pub const MAX_NEED_CHARS: usize = 2000;
/// Longest contact name, in characters.
pub const MAX_CONTACT_NAME_CHARS: usize = 50;

named_enum! {
    /// How a need reached the programme.
    Channel {
        /// 调研走访: a field visit.
        Visit = "VISIT",
        /// 问卷征集: a questionnaire.
        Survey = "SURVEY",
        /// 线上问需: an online request.
        Online = "ONLINE",
    }
}

named_enum! {
    /// Where a need stands.
    NeedStatus {
        /// Waiting for review.
        Submitted = "SUBMITTED",
        /// Accepted into a new project.
        Accepted = "ACCEPTED",
        /// Attached to an existing project.
        Attached = "ATTACHED",
        /// A duplicate of another need.
        Duplicate = "DUPLICATE",
        /// Declined.
        Declined = "DECLINED",
    }
}

/// A person to contact about a need (personal data: sealed at rest, shown masked).
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    /// Name, if given.
    pub name: Option<Line<MAX_CONTACT_NAME_CHARS>>,
    /// Phone, possibly empty.
    pub phone: String,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Contact(***)")
    }
}

impl Contact {
    /// Checks a contact; `None` when both parts are empty.
    pub fn parse(name: &str, phone: &str, field: &str) -> Result<Option<Self>, FieldViolation> {
        let name = name.trim();
        let phone = phone.trim();
        if name.is_empty() && phone.is_empty() {
            return Ok(None);
        }
        let name = if name.is_empty() {
            None
        } else {
            Some(Line::parse(name, &format!("{field}.name"))?)
        };
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let phone_ok = phone.is_empty()
            || ((5..=20).contains(&digits)
                && phone.chars().enumerate().all(|(i, c)| {
                    c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && i == 0)
                }));
        if !phone_ok {
            return Err(FieldViolation::new(
                format!("{field}.phone"),
                "must be 5 to 20 digits, optionally with a leading + and spaces or dashes",
            ));
        }
        Ok(Some(Self {
            name,
            phone: phone.to_owned(),
        }))
    }

    /// The contact as it may be shown: 张* · 138****5678.
    pub fn masked(&self) -> String {
        let parts: Vec<String> = [
            xingfu_platform::pii::mask_name(self.name()),
            xingfu_platform::pii::mask_phone(&self.phone),
        ]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
        parts.join(" · ")
    }

    /// One string to seal: name and phone separated by a unit separator.
    pub fn to_clear(&self) -> String {
        format!("{}\u{1f}{}", self.name(), self.phone)
    }

    /// The name; empty when none was given.
    fn name(&self) -> &str {
        self.name.as_ref().map_or("", Line::as_str)
    }
}

/// What makes a need's submission unique, so a retry or a re-import adds nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedKey {
    /// The caller's idempotency key.
    Request(RequestId),
    /// The `id` column of an imported file.
    FileRow(String),
    /// An imported row without an id: its content.
    Content,
}

/// A validated need to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNeed {
    /// What makes it unique.
    pub key: NeedKey,
    /// How it reached the programme.
    pub channel: Channel,
    /// Its community.
    pub community: DirectoryId,
    /// What is needed.
    pub description: Text<MAX_NEED_CHARS>,
    /// The suggested category.
    pub suggested_category: Option<Category>,
    /// Who to contact.
    pub contact: Option<Contact>,
}

impl NewNeed {
    /// Everything asked, the contact included, for a keyed digest: the contact is personal
    /// data, so these parts must only ever be hashed with the deployment's key.
    pub fn fingerprint_parts(&self) -> [String; 5] {
        [
            self.channel.as_str().to_owned(),
            self.community.as_str().to_owned(),
            self.description.to_string(),
            self.suggested_category
                .map_or("", Category::as_str)
                .to_owned(),
            self.contact
                .as_ref()
                .map(Contact::to_clear)
                .unwrap_or_default(),
        ]
    }
}

/// A recorded need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Id (UUIDv7).
    pub id: RecordId,
    /// Channel.
    pub channel: Channel,
    /// Community.
    pub community_id: DirectoryId,
    /// Description.
    pub description: Text<MAX_NEED_CHARS>,
    /// Suggested category.
    pub suggested_category: Option<Category>,
    /// The contact, masked; empty when none.
    pub contact_masked: String,
    /// Review state.
    pub status: NeedStatus,
    /// Project accepted into or attached to.
    pub project_id: Option<RecordId>,
    /// Need it duplicates.
    pub duplicate_of: Option<RecordId>,
    /// Why declined.
    pub decline_reason: Option<Reason>,
    /// Submitted, microseconds since the epoch.
    pub created_at: i64,
    /// Reviewed, microseconds since the epoch.
    pub reviewed_at: Option<i64>,
}

/// What a list of needs is narrowed to; each `None` leaves it open. Its `Debug` text binds
/// page tokens to the query, so its name and fields stay as they are.
#[derive(Clone, Default)]
pub struct Filter {
    /// Status.
    pub status: Option<NeedStatus>,
    /// Channel.
    pub channel: Option<Channel>,
    /// Community.
    pub community_id: Option<DirectoryId>,
    /// Suggested category.
    pub category: Option<Category>,
}

/// As derived when the ids were strings (`Some("beiao")`), so page tokens stay valid.
impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("status", &self.status)
            .field("channel", &self.channel)
            .field(
                "community_id",
                &self.community_id.as_ref().map(DirectoryId::as_str),
            )
            .field("category", &self.category)
            .finish()
    }
}

/// How a need is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Into a new DRAFT project with this title and category (the need's suggestion when
    /// `None`).
    Accept {
        /// Title of the new project.
        title: Line<MAX_TITLE_CHARS>,
        /// Its category.
        category: Option<Category>,
    },
    /// Onto an existing project.
    Attach {
        /// The project.
        project_id: RecordId,
    },
    /// A duplicate of another need.
    Duplicate {
        /// The need it repeats.
        need_id: RecordId,
    },
    /// Declined.
    Decline {
        /// Why.
        reason: Reason,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_checked_and_masked() {
        let c = Contact::parse("王小明", "138 1234 5678", "contact")
            .unwrap()
            .unwrap();
        assert_eq!(c.masked(), "王** · 138******5678");
        assert!(Contact::parse("", "", "contact").unwrap().is_none());
        let err = Contact::parse("x", "call me", "contact").unwrap_err();
        assert_eq!(err.field, "contact.phone");
        assert!(Contact::parse("x", "+86-138-1234-5678", "contact").is_ok());
        assert_eq!(
            format!("{c:?}"),
            "Contact(***)",
            "Debug never shows personal data"
        );
    }

    #[test]
    fn a_filter_reads_as_it_did_with_string_ids() {
        // Page tokens are bound to this text.
        let filter = Filter {
            community_id: Some(DirectoryId::parse("beiao", "community_id").unwrap()),
            ..Filter::default()
        };
        assert_eq!(
            format!("{filter:?}"),
            r#"Filter { status: None, channel: None, community_id: Some("beiao"), category: None }"#
        );
    }
}
