//! The JSON Schema form of the rules the protos declare (`xingfu.validate.v1`), for the
//! OpenAPI document: what the services check, told to a client before it calls. Patterns
//! are ECMA 262 regular expressions; where a rule trims first (lines, text), the schema
//! is the stricter of the two, so a request the schema accepts is one the server accepts.

use std::collections::HashSet;
use std::sync::OnceLock;

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};
use xingfu_platform::rules::{FieldRules, Format, field_rules, oneof_required};

/// Characters no line holds: C0 and C1 controls, DEL.
const LINE_CHAR: &str = r"[^\u0000-\u001f\u007f-\u009f]";
/// A line's character that is not a space either.
const LINE_SOLID: &str = r"[^\s\u0000-\u001f\u007f-\u009f]";
/// Characters text holds: as a line, plus tab, line feed and carriage return.
const TEXT_CHAR: &str = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]";
/// Text's character that is not a space either.
const TEXT_SOLID: &str = r"[^\s\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]";
const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const DIRECTORY_ID: &str = "[A-Za-z0-9_-]{1,64}";
/// A year 0001 to 9999, a dash, a month 01 to 12.
const MONTH: &str =
    "([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])";

/// `schema` (one value of `field`, already typed) with the field's rules added; a list's
/// items each get the value rules, the list itself its counts. In a `partial` message (an
/// update's values) nothing is required.
pub fn constrain(field: &FieldDescriptor, schema: Value, partial: bool) -> Value {
    let Some(mut rules) = field_rules(field) else {
        return schema;
    };
    if partial {
        rules.required = false;
        rules.min_items = None;
    }
    if field.is_list() {
        let item = FieldRules {
            required: true,
            ..rules.clone()
        };
        let mut list = json!({"type": "array", "items": constrain_value(field, &item, schema)});
        let min = rules.min_items.or_else(|| rules.required.then_some(1));
        if let Some(min) = min {
            list["minItems"] = json!(min);
        }
        if let Some(max) = rules.max_items {
            list["maxItems"] = json!(max);
        }
        if rules.unique {
            list["uniqueItems"] = json!(true);
        }
        return list;
    }
    constrain_value(field, &rules, schema)
}

/// Whether `field` holds an update's values (`partial`).
pub fn is_partial(field: &FieldDescriptor) -> bool {
    field_rules(field).is_some_and(|rules| rules.partial)
}

/// Whether `field` declares rules.
pub fn has_rules(field: &FieldDescriptor) -> bool {
    field_rules(field).is_some()
}

/// Whether `field` must be given in JSON: its rules say `required`, or leaving it out
/// (zero, no items) breaks them.
pub fn is_required(field: &FieldDescriptor) -> bool {
    let Some(rules) = field_rules(field) else {
        return false;
    };
    if field.is_list() {
        return rules.required || rules.min_items.is_some_and(|min| min > 0);
    }
    let zero_refused = rules.min.is_some_and(|min| min > 0) || rules.max.is_some_and(|max| max < 0);
    rules.required || (is_integer(&field.kind()) && zero_refused)
}

/// `required`, no other properties, and the one-of-these groups of `message`, added to
/// its object schema.
pub fn constrain_message(
    message: &MessageDescriptor,
    partial: bool,
    schema: &mut Map<String, Value>,
) {
    let required: Vec<Value> = message
        .fields()
        .filter(|field| !partial && is_required(field))
        .map(|field| json!(field.name()))
        .collect();
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    // The JSON decoder refuses a field the message does not have.
    schema.insert("additionalProperties".into(), json!(false));
    // One member of a oneof is required. JSON Schema says it as a `oneOf` of `required`
    // lists, which client generators read as a union of types and fail on; the document
    // names the members instead, for people and for tools that look.
    let groups: Vec<Vec<String>> = message
        .oneofs()
        .filter(|oneof| !partial && oneof_required(oneof))
        .map(|oneof| oneof.fields().map(|f| f.name().to_owned()).collect())
        .collect();
    if !groups.is_empty() {
        let text: Vec<String> = groups
            .iter()
            .map(|members| format!("exactly one of {} is required", members.join(", ")))
            .collect();
        schema.insert("description".into(), json!(text.join("; ")));
        schema.insert("x-xingfu-one-of".into(), json!(groups));
    }
}

fn constrain_value(field: &FieldDescriptor, rules: &FieldRules, mut schema: Value) -> Value {
    match field.kind() {
        Kind::String => {
            if let Some(pattern) = pattern(rules) {
                schema["pattern"] = json!(pattern);
            }
            if rules.format == Format::Uuid && rules.required {
                schema["format"] = json!("uuid");
            }
            if rules.required {
                schema["minLength"] = json!(1);
            }
            let max = match rules.format {
                Format::RequestId => Some(xingfu_platform::validate::MAX_REQUEST_ID_CHARS),
                _ => rules.max_len,
            };
            if let Some(max) = max {
                schema["maxLength"] = json!(max);
            }
        }
        Kind::Enum(descriptor) if rules.required => {
            let names: Vec<String> = descriptor
                .values()
                .filter(|value| value.number() != 0)
                .map(|value| value.name().to_owned())
                .collect();
            schema["enum"] = json!(names);
        }
        kind if is_integer(&kind) && (rules.min.is_some() || rules.max.is_some()) => {
            let text = schema["type"] == json!("string");
            if text && in_answers(field.parent_message()) {
                // A 64-bit integer of a message the API also answers with stays a string
                // (as every answer gives it); its bounds are said in words, and a floor
                // of 0 or more as digits.
                schema["description"] = json!(bounds_in_words(rules));
                if rules.min.is_some_and(|min| min >= 0) && rules.max.is_none() {
                    schema["pattern"] = json!("^[0-9]{1,18}$");
                }
                return schema;
            }
            // Otherwise the bounded integer is a JSON number (the proto JSON mapping takes
            // a number or a string), so that its bounds can be stated.
            let mut bounded = json!({"type": "integer", "format": if text { json!("int64") } else { schema["format"].clone() }});
            if let Some(min) = rules.min {
                bounded["minimum"] = json!(min);
            }
            if let Some(max) = rules.max {
                bounded["maximum"] = json!(max);
            }
            schema = bounded;
        }
        _ => {}
    }
    schema
}

fn is_integer(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Int32
            | Kind::Sint32
            | Kind::Sfixed32
            | Kind::Uint32
            | Kind::Fixed32
            | Kind::Int64
            | Kind::Sint64
            | Kind::Sfixed64
            | Kind::Uint64
            | Kind::Fixed64
    )
}

fn bounds_in_words(rules: &FieldRules) -> String {
    match (rules.min, rules.max) {
        (Some(min), Some(max)) => format!("a whole number from {min} to {max}"),
        (Some(min), None) => format!("a whole number, at least {min}"),
        (_, Some(max)) => format!("a whole number, at most {max}"),
        (None, None) => "a whole number".to_owned(),
    }
}

/// Whether the API answers with `message` somewhere: its schema then describes answers
/// too, whose 64-bit integers are strings.
fn in_answers(message: &MessageDescriptor) -> bool {
    static ANSWERED: OnceLock<HashSet<String>> = OnceLock::new();
    ANSWERED
        .get_or_init(|| {
            let mut seen = HashSet::new();
            let mut queue: Vec<MessageDescriptor> = crate::descriptors::pool()
                .services()
                .flat_map(|service| service.methods().map(|m| m.output()).collect::<Vec<_>>())
                .collect();
            while let Some(next) = queue.pop() {
                if !seen.insert(next.full_name().to_owned()) {
                    continue;
                }
                for field in next.fields() {
                    if let Kind::Message(inner) = field.kind() {
                        queue.push(inner);
                    }
                }
            }
            seen
        })
        .contains(message.full_name())
}

/// The whole-value pattern of a string's format; an optional value may also be empty.
fn pattern(rules: &FieldRules) -> Option<String> {
    let body = match rules.format {
        Format::Any => return None,
        Format::Line if rules.required => format!("{LINE_CHAR}*{LINE_SOLID}{LINE_CHAR}*"),
        Format::Line => format!("{LINE_CHAR}*"),
        Format::Text if rules.required => format!("{TEXT_CHAR}*{TEXT_SOLID}{TEXT_CHAR}*"),
        Format::Text => format!("{TEXT_CHAR}*"),
        Format::Uuid => UUID.to_owned(),
        Format::DirectoryId => DIRECTORY_ID.to_owned(),
        Format::RequestId => format!("{LINE_SOLID}({LINE_CHAR}*{LINE_SOLID})?"),
        Format::Month => MONTH.to_owned(),
    };
    let optional = !rules.required && !matches!(rules.format, Format::Line | Format::Text);
    Some(if optional {
        format!("^({body})?$")
    } else {
        format!("^{body}$")
    })
}
