//! Projects as the programme knows them, and the rules their fields obey. Values are
//! parsed at the edge into these types, so the rest of the service never sees bad input.

use xingfu_platform::{FieldViolation, validate};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

/// The seven categories (类别) of the shared library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// 便民利民
    Convenience,
    /// 结对帮困
    PairedAssistance,
    /// 交通出行
    Transport,
    /// 基础设施
    Infrastructure,
    /// 群众活动
    CommunityActivity,
    /// 公共服务
    PublicService,
    /// 环境改善
    Environment,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 7] = [
        Category::Convenience,
        Category::PairedAssistance,
        Category::Transport,
        Category::Infrastructure,
        Category::CommunityActivity,
        Category::PublicService,
        Category::Environment,
    ];

    /// The stored (and glossary) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Convenience => "CONVENIENCE",
            Category::PairedAssistance => "PAIRED_ASSISTANCE",
            Category::Transport => "TRANSPORT",
            Category::Infrastructure => "INFRASTRUCTURE",
            Category::CommunityActivity => "COMMUNITY_ACTIVITY",
            Category::PublicService => "PUBLIC_SERVICE",
            Category::Environment => "ENVIRONMENT",
        }
    }

    /// The category stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A project's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Being prepared; not yet in the shared library.
    Draft,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "DRAFT",
        }
    }

    /// The status stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        (name == "DRAFT").then_some(Status::Draft)
    }
}

/// A directory id (organisation or community): 1 to 64 of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryId(String);

impl DirectoryId {
    /// Checks `value`; `field` names it in the violation.
    pub fn parse(value: &str, field: &str) -> Result<Self, FieldViolation> {
        validate::directory_id(value, field).map(Self)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated request to create a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    /// The creator's idempotency key.
    pub request_id: String,
    /// Title, trimmed.
    pub title: String,
    /// Category.
    pub category: Category,
    /// The community served.
    pub community: DirectoryId,
    /// Description, trimmed.
    pub description: String,
}

impl NewProject {
    /// A digest of everything asked, to tell a retry from a different request that
    /// reuses the same idempotency key.
    pub fn fingerprint(&self) -> String {
        validate::fingerprint([
            self.title.as_str(),
            self.category.as_str(),
            self.community.as_str(),
            self.description.as_str(),
        ])
    }
}

/// A project of the shared library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Id (UUIDv7).
    pub id: String,
    /// Title.
    pub title: String,
    /// Category.
    pub category: Category,
    /// Community served.
    pub community_id: String,
    /// Description.
    pub description: String,
    /// Lifecycle state.
    pub status: Status,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created, microseconds since the epoch.
    pub created_at: i64,
    /// Last changed, microseconds since the epoch.
    pub updated_at: i64,
}

/// Checks a title: one line, 1 to [`MAX_TITLE_CHARS`] characters.
pub fn parse_title(value: &str, field: &str) -> Result<String, FieldViolation> {
    validate::single_line(value, field, MAX_TITLE_CHARS)
}

/// Checks a description: free text of at most [`MAX_DESCRIPTION_CHARS`] characters.
pub fn parse_description(value: &str, field: &str) -> Result<String, FieldViolation> {
    validate::multi_line(value, field, MAX_DESCRIPTION_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_round_trip_through_their_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("convenience"), None);
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            parse_title("  小桔灯 课堂 ", "title").unwrap(),
            "小桔灯 课堂"
        );
        assert!(parse_title("   ", "title").is_err());
        assert!(parse_title(&"灯".repeat(200), "title").is_ok());
        assert!(parse_title(&"灯".repeat(201), "title").is_err());
    }

    #[test]
    fn the_fingerprint_tells_different_requests_apart() {
        let a = NewProject {
            request_id: "r".into(),
            title: "Bus shelter".into(),
            category: Category::Transport,
            community: DirectoryId::parse("c1", "c").unwrap(),
            description: String::new(),
        };
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.title = "Bus shelters".into();
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
