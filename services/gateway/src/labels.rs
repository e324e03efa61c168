//! The labels people read for the API's enum values: the zh-CN and English labels
//! declared beside each value (`xingfu.label.v1.label`), read once from the descriptor
//! set, so a screen, an export or an integrator shows 红色星期天 / "Red Sunday" rather than
//! `RED_SUNDAY`.

use std::sync::OnceLock;

use prost_reflect::{EnumDescriptor, Value};
use xingfu_platform::Error;
use xingfu_proto::gateway as pb;

use crate::descriptors::pool;

/// The extension that holds a value's labels.
const LABEL_EXTENSION: &str = "xingfu.label.v1.label";

/// Every enum of the API with its values' labels, by full name; the unset values left out.
pub fn all() -> &'static [pb::EnumLabels] {
    static ALL: OnceLock<Vec<pb::EnumLabels>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut enums: Vec<pb::EnumLabels> = pool()
            .all_enums()
            .filter(is_api)
            .map(|e| labels_of(&e))
            .collect();
        enums.sort_by(|a, b| a.name.cmp(&b.name));
        enums
    })
}

/// The labels of the enum `name`, or of every enum when `name` is empty; NOT_FOUND for an
/// enum the API does not have.
pub fn list(name: &str) -> Result<Vec<pb::EnumLabels>, Error> {
    if name.is_empty() {
        return Ok(all().to_vec());
    }
    all()
        .iter()
        .find(|e| e.name == name)
        .map(|e| vec![e.clone()])
        .ok_or_else(|| Error::not_found("enum", name))
}

/// An enum of the services' APIs and events, not of the contract's own annotations.
fn is_api(e: &EnumDescriptor) -> bool {
    let package = e.package_name();
    package.starts_with("xingfu.")
        && !package.starts_with("xingfu.validate.")
        && !package.starts_with("xingfu.label.")
}

fn labels_of(e: &EnumDescriptor) -> pb::EnumLabels {
    let extension = pool().get_extension_by_name(LABEL_EXTENSION);
    // Every enum's zero value is `<PREFIX>_UNSPECIFIED` (buf lint holds it): its prefix is
    // what the keys drop.
    let prefix = e
        .get_value(0)
        .map(|v| v.name().trim_end_matches("UNSPECIFIED").to_owned())
        .unwrap_or_default();
    let values = e
        .values()
        .filter(|v| v.number() != 0)
        .map(|v| {
            let (zh, en) = extension
                .as_ref()
                .filter(|ext| v.options().has_extension(ext))
                .map(|ext| {
                    let label = v.options().get_extension(ext).into_owned();
                    let text = |field: &str| match label
                        .as_message()
                        .and_then(|m| m.get_field_by_name(field))
                    {
                        Some(value) => match value.as_ref() {
                            Value::String(s) => s.clone(),
                            _ => String::new(),
                        },
                        None => String::new(),
                    };
                    (text("zh"), text("en"))
                })
                .unwrap_or_default();
            pb::ValueLabel {
                name: v.name().to_owned(),
                number: v.number(),
                key: v
                    .name()
                    .strip_prefix(&prefix)
                    .unwrap_or(v.name())
                    .to_owned(),
                zh,
                en,
            }
        })
        .collect();
    pb::EnumLabels {
        name: e.full_name().to_owned(),
        values,
    }
}
