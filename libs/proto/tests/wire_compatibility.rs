//! Fails a change that would break the wire format of a published message or a call:
//! the current protos are compared with the released descriptor set in
//! `proto/baseline/xingfu.binpb`. Fields may be added and renamed; a field number may not
//! change type or kind, nor disappear unless it is reserved. Enum values and RPCs may not
//! disappear. After a release, refresh the baseline with
//! `xingfu descriptors --output proto/baseline/xingfu.binpb`.

use std::collections::HashMap;

use prost::Message as _;
use prost_types::field_descriptor_proto::Label;
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

const BASELINE: &[u8] = include_bytes!("../../../proto/baseline/xingfu.binpb");

fn messages(set: &FileDescriptorSet) -> HashMap<String, DescriptorProto> {
    fn walk(prefix: &str, message: &DescriptorProto, out: &mut HashMap<String, DescriptorProto>) {
        let name = format!("{prefix}.{}", message.name());
        for nested in &message.nested_type {
            walk(&name, nested, out);
        }
        out.insert(name, message.clone());
    }
    let mut out = HashMap::new();
    for file in set
        .file
        .iter()
        .filter(|f| f.package().starts_with("xingfu."))
    {
        for message in &file.message_type {
            walk(file.package(), message, &mut out);
        }
    }
    out
}

fn enums(set: &FileDescriptorSet) -> HashMap<String, EnumDescriptorProto> {
    let mut out = HashMap::new();
    for file in set
        .file
        .iter()
        .filter(|f| f.package().starts_with("xingfu."))
    {
        for e in &file.enum_type {
            out.insert(format!("{}.{}", file.package(), e.name()), e.clone());
        }
    }
    out
}

fn reserved(message: &DescriptorProto, number: i32) -> bool {
    message
        .reserved_range
        .iter()
        .any(|r| r.start() <= number && number < r.end())
}

/// Every incompatibility between `old` and `new`.
fn breaks(old: &FileDescriptorSet, new: &FileDescriptorSet) -> Vec<String> {
    let mut found = Vec::new();
    let (old_messages, new_messages) = (messages(old), messages(new));
    for (name, before) in &old_messages {
        let Some(after) = new_messages.get(name) else {
            found.push(format!("message {name} was removed"));
            continue;
        };
        for field in &before.field {
            let same = after.field.iter().find(|f| f.number() == field.number());
            match same {
                None if reserved(after, field.number()) => {}
                None => found.push(format!(
                    "{name}: field {} ({}) was removed without reserving its number",
                    field.number(),
                    field.name()
                )),
                Some(now) => {
                    if now.r#type() != field.r#type() || now.type_name() != field.type_name() {
                        found.push(format!("{name}: field {} changed type", field.number()));
                    }
                    let repeated = |l: Label| l == Label::Repeated;
                    if repeated(now.label()) != repeated(field.label()) {
                        found.push(format!(
                            "{name}: field {} changed between single and repeated",
                            field.number()
                        ));
                    }
                }
            }
        }
    }
    let new_enums = enums(new);
    for (name, before) in enums(old) {
        let Some(after) = new_enums.get(&name) else {
            found.push(format!("enum {name} was removed"));
            continue;
        };
        for value in &before.value {
            let kept = after.value.iter().any(|v| v.number() == value.number())
                || after
                    .reserved_range
                    .iter()
                    .any(|r| r.start() <= value.number() && value.number() <= r.end());
            if !kept {
                found.push(format!("{name}: value {} was removed", value.number()));
            }
        }
    }
    for file in old
        .file
        .iter()
        .filter(|f| f.package().starts_with("xingfu."))
    {
        for service in &file.service {
            let current = new
                .file
                .iter()
                .flat_map(|f| f.service.iter().map(move |s| (f.package(), s)))
                .find(|(package, s)| *package == file.package() && s.name() == service.name());
            let Some((_, current)) = current else {
                found.push(format!(
                    "service {}.{} was removed",
                    file.package(),
                    service.name()
                ));
                continue;
            };
            for method in &service.method {
                let same = current.method.iter().find(|m| m.name() == method.name());
                match same {
                    None => found.push(format!(
                        "{}.{}/{} was removed",
                        file.package(),
                        service.name(),
                        method.name()
                    )),
                    Some(m)
                        if m.input_type() != method.input_type()
                            || m.output_type() != method.output_type() =>
                    {
                        found.push(format!(
                            "{}/{} changed its request or response",
                            service.name(),
                            method.name()
                        ))
                    }
                    Some(m)
                        if m.client_streaming() != method.client_streaming()
                            || m.server_streaming() != method.server_streaming() =>
                    {
                        found.push(format!(
                            "{}/{} changed streaming",
                            service.name(),
                            method.name()
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_current_protos_keep_the_released_wire_format() {
    let baseline = FileDescriptorSet::decode(BASELINE).expect("the baseline decodes");
    let current = FileDescriptorSet::decode(xingfu_proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set decodes");
    let found = breaks(&baseline, &current);
    assert!(found.is_empty(), "breaking changes:\n{}", found.join("\n"));
}

#[test]
fn the_check_notices_a_breaking_change() {
    let baseline = FileDescriptorSet::decode(BASELINE).unwrap();
    let mut changed = baseline.clone();
    let file = changed
        .file
        .iter_mut()
        .find(|f| f.name() == "xingfu/projects/v1/events.proto")
        .unwrap();
    let message = file
        .message_type
        .iter_mut()
        .find(|m| m.name() == "ProjectCreated")
        .unwrap();
    message.field.retain(|f| f.number() != 2);
    message
        .field
        .iter_mut()
        .find(|f| f.number() == 3)
        .unwrap()
        .set_type(prost_types::field_descriptor_proto::Type::String);
    let found = breaks(&baseline, &changed);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("field 2") || found[1].contains("field 2"));

    let mut reserved = baseline.clone();
    let file = reserved
        .file
        .iter_mut()
        .find(|f| f.name() == "xingfu/projects/v1/events.proto")
        .unwrap();
    let message = file
        .message_type
        .iter_mut()
        .find(|m| m.name() == "ProjectCreated")
        .unwrap();
    message.field.retain(|f| f.number() != 2);
    message
        .reserved_range
        .push(prost_types::descriptor_proto::ReservedRange {
            start: Some(2),
            end: Some(3),
        });
    assert!(
        breaks(&baseline, &reserved).is_empty(),
        "a removed field whose number is reserved is fine"
    );
}

#[test]
fn every_event_message_is_in_the_catalogue() {
    let current = FileDescriptorSet::decode(xingfu_proto::FILE_DESCRIPTOR_SET).unwrap();
    let declared: Vec<String> = current
        .file
        .iter()
        .filter(|f| f.name().ends_with("/events.proto"))
        .flat_map(|f| {
            f.message_type
                .iter()
                .map(move |m| format!("{}.{}", f.package(), m.name()))
        })
        .collect();
    let catalogued: Vec<&str> = xingfu_proto::events::CATALOGUE
        .iter()
        .map(|(_, t)| *t)
        .collect();
    for message in &declared {
        assert!(
            catalogued.contains(&message.as_str()),
            "{message} is not in the catalogue"
        );
    }
    assert_eq!(declared.len(), catalogued.len());
}

#[test]
fn docs_events_md_lists_every_event_with_its_subject_and_message() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.md"))
            .unwrap();
    for (subject, event_type) in xingfu_proto::events::CATALOGUE {
        let row = docs
            .lines()
            .find(|line| line.starts_with('|') && line.contains(&format!("`xingfu.{subject}`")))
            .unwrap_or_else(|| panic!("docs/events.md has no row for xingfu.{subject}"));
        assert!(
            row.contains(&format!("`{event_type}`")),
            "the row of {subject} names {event_type}: {row}"
        );
    }
}
