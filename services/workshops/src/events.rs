//! What the workshops service consumes: the programme's directory and the volunteer
//! register, kept as read models so references show whether they are confirmed. What it
//! publishes is in `xingfu_proto::events`.

use xingfu_directory as known;
use xingfu_platform::db::Database;
use xingfu_platform::events::Subscription;

/// Every subscription of the workshops service.
pub fn subscriptions(db: &Database) -> Vec<Subscription> {
    vec![
        known::directory_subscription("workshops-directory", db),
        known::register_subscription("workshops-register", db),
    ]
}
