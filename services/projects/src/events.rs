//! What the projects service consumes from others (nothing yet). What it publishes is
//! listed in the catalogue, `xingfu_proto::events`.

use xingfu_platform::events::Subscription;

/// The events this service consumes from others.
pub fn subscriptions() -> Vec<Subscription> {
    Vec::new()
}
