//! Checking one message against its rules, field by field, nested messages and list
//! items included. The texts are the platform's usual ones ([`crate::validate`]), so a
//! rule moved from code into the protos answers as before.

use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, ReflectMessage as _, Value};

use super::{FieldRules, Format, Rules};
use crate::error::FieldViolation;
use crate::validate;

impl Rules {
    /// Checks `message`, whose fields' paths start with `prefix`; a `partial` message (an
    /// update's values) has its unset fields left alone.
    pub(super) fn check_message(
        &self,
        message: &DynamicMessage,
        prefix: &str,
        partial: bool,
        out: &mut Vec<FieldViolation>,
    ) {
        let Some(rules) = self.messages.get(message.descriptor().full_name()) else {
            return;
        };
        for oneof in rules.oneofs.iter().filter(|_| !partial) {
            if !oneof.fields().any(|field| message.has_field(&field)) {
                let members: Vec<String> = oneof.fields().map(|f| f.name().to_owned()).collect();
                out.push(FieldViolation::new(
                    format!("{prefix}{}", oneof.name()),
                    format!("must be one of {}", members.join(", ")),
                ));
            }
        }
        for (field, declared) in &rules.fields {
            if partial && !message.has_field(field) {
                continue;
            }
            let path = format!("{prefix}{}", field.name());
            let value = message.get_field(field);
            if field.is_list() {
                check_list(field, declared, value.as_ref(), &path, out);
            } else if matches!(field.kind(), Kind::Message(_)) {
                if declared.required && !message.has_field(field) {
                    out.push(FieldViolation::new(path, "must be set"));
                }
            } else if let Err(violation) = check_value(field, declared, value.as_ref(), &path) {
                out.push(violation);
            }
        }
        for field in &rules.nested {
            let path = format!("{prefix}{}", field.name());
            // Partial is the values message's own fields: a message set inside it keeps
            // every rule.
            let partial = rules
                .fields
                .iter()
                .any(|(f, declared)| f == field && declared.partial);
            match message.get_field(field).as_ref() {
                Value::List(items) => {
                    for (n, item) in items.iter().enumerate() {
                        if let Value::Message(inner) = item {
                            self.check_message(inner, &format!("{path}[{n}]."), partial, out);
                        }
                    }
                }
                Value::Message(inner) if message.has_field(field) => {
                    self.check_message(inner, &format!("{path}."), partial, out);
                }
                _ => {}
            }
        }
    }
}

/// A repeated field: its count, whether its items differ, then each item.
fn check_list(
    field: &FieldDescriptor,
    declared: &FieldRules,
    value: &Value,
    path: &str,
    out: &mut Vec<FieldViolation>,
) {
    let Value::List(items) = value else {
        return;
    };
    let count = items.len();
    let min = declared
        .min_items
        .or_else(|| declared.required.then_some(1));
    let too_few = min.is_some_and(|min| count < min);
    let too_many = declared.max_items.is_some_and(|max| count > max);
    if too_few || too_many {
        let text = match (min, declared.max_items) {
            (Some(min), Some(max)) => format!("must list {min} to {max} items"),
            (Some(min), None) => format!("must list at least {}", items_text(min)),
            (_, max) => format!("must list at most {}", items_text(max.unwrap_or(0))),
        };
        out.push(FieldViolation::new(path, text));
    }
    if declared.unique {
        let mut seen = Vec::with_capacity(count);
        for item in items {
            if seen.contains(&item) {
                out.push(FieldViolation::new(path, "must not repeat an item"));
                break;
            }
            seen.push(item);
        }
    }
    if matches!(field.kind(), Kind::Message(_)) {
        return;
    }
    // An empty item of a list means nothing: each one is required.
    let item_rules = FieldRules {
        required: true,
        ..declared.clone()
    };
    for (n, item) in items.iter().enumerate() {
        if let Err(violation) = check_value(field, &item_rules, item, &format!("{path}[{n}]")) {
            out.push(violation);
        }
    }
}

/// `n` items, in words.
fn items_text(n: usize) -> String {
    if n == 1 {
        "1 item".to_owned()
    } else {
        format!("{n} items")
    }
}

/// One scalar value (a field's, or a list item's) against `declared`.
fn check_value(
    field: &FieldDescriptor,
    declared: &FieldRules,
    value: &Value,
    path: &str,
) -> Result<(), FieldViolation> {
    match (value, field.kind()) {
        (Value::String(text), _) => check_string(declared, text, path),
        (Value::EnumNumber(number), Kind::Enum(descriptor)) => {
            if descriptor.get_value(*number).is_none() {
                return Err(FieldViolation::new(
                    path,
                    format!("{number} is not one of the defined values"),
                ));
            }
            if declared.required && *number == 0 {
                return Err(FieldViolation::new(path, "must be set"));
            }
            Ok(())
        }
        (Value::I32(n), _) => check_range(declared, i128::from(*n), path),
        (Value::I64(n), _) => check_range(declared, i128::from(*n), path),
        (Value::U32(n), _) => check_range(declared, i128::from(*n), path),
        (Value::U64(n), _) => check_range(declared, i128::from(*n), path),
        _ => Ok(()),
    }
}

fn check_string(declared: &FieldRules, text: &str, path: &str) -> Result<(), FieldViolation> {
    let trims = matches!(declared.format, Format::Line | Format::Text);
    let empty = if trims {
        text.trim().is_empty()
    } else {
        text.is_empty()
    };
    if empty && !declared.required {
        return Ok(());
    }
    let max = declared.max_len.unwrap_or(usize::MAX);
    match declared.format {
        Format::Line => validate::single_line(text, path, max).map(drop),
        Format::Text => validate::text(text, path, max).map(drop),
        Format::Uuid => validate::uuid(text, path).map(drop),
        Format::DirectoryId => validate::directory_id(text, path).map(drop),
        Format::RequestId => validate::request_id(text, path).map(drop),
        Format::Month => validate::month(text, path).map(drop),
        Format::Any if empty => Err(FieldViolation::new(path, "must not be empty")),
        Format::Any if text.chars().count() > max => Err(FieldViolation::new(
            path,
            format!("must be at most {max} characters"),
        )),
        Format::Any => Ok(()),
    }
}

fn check_range(declared: &FieldRules, n: i128, path: &str) -> Result<(), FieldViolation> {
    let (min, max) = (declared.min.map(i128::from), declared.max.map(i128::from));
    let below = min.is_some_and(|min| n < min);
    let above = max.is_some_and(|max| n > max);
    if !below && !above {
        return Ok(());
    }
    let text = match (declared.min, declared.max) {
        (Some(min), Some(max)) => format!("must be {min} to {max}"),
        (Some(0), None) => "must not be negative".to_owned(),
        (Some(min), None) => format!("must be at least {min}"),
        (None, Some(max)) => format!("must be at most {max}"),
        (None, None) => return Ok(()),
    };
    Err(FieldViolation::new(path, text))
}
