//! The generic validator against a test proto that uses every kind of rule: formats,
//! lengths, ranges, required values of each kind, enums, lists (counts, distinct items,
//! each item), nested and repeated messages, bounded lists of messages and a required
//! oneof. Each broken rule is one violation, named by its path.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::path::Path;

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, Value};
use xingfu_platform::rules::{FieldRules, Format, Rules, field_rules};

fn pool() -> DescriptorPool {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut compiler =
        protox::Compiler::new([here.join("tests/rules"), here.join("../../proto")]).unwrap();
    compiler
        .include_imports(true)
        .open_files(["test.proto"])
        .unwrap();
    // Encoded by protox: prost-types' option messages would drop the custom options.
    DescriptorPool::decode(compiler.encode_file_descriptor_set().as_slice()).unwrap()
}

fn message(pool: &DescriptorPool, name: &str) -> MessageDescriptor {
    pool.get_message_by_name(&format!("rules.test.v1.{name}"))
        .unwrap()
}

/// A message of type `name` from its JSON form.
fn parse(pool: &DescriptorPool, name: &str, json: &str) -> DynamicMessage {
    let mut reader = serde_json::Deserializer::from_str(json);
    DynamicMessage::deserialize(message(pool, name), &mut reader).unwrap()
}

/// A request that keeps every rule; `changes` (JSON) are merged over it.
fn request(pool: &DescriptorPool, changes: serde_json::Value) -> DynamicMessage {
    let mut base = serde_json::json!({
        "requestId": "req-1",
        "id": "0190c8b8-7b1a-7c2e-9d4f-3a2b1c0d9e8f",
        "title": "  小桔灯课堂  ",
        "kind": "KIND_A",
        "items": [{"name": "书包", "quantity": 2}],
        "main": {"name": "书桌", "quantity": 1},
        "left": "x",
        "body": "内容"
    });
    for (key, value) in changes.as_object().unwrap() {
        base[key] = value.clone();
    }
    parse(pool, "Request", &base.to_string())
}

/// Every violation, as `field: description`, sorted.
fn violations(rules: &Rules, message: &DynamicMessage) -> Vec<String> {
    let mut found: Vec<String> = rules
        .check(message)
        .into_iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect();
    found.sort();
    found
}

#[test]
fn a_request_that_keeps_every_rule_passes() {
    let pool = pool();
    let rules = Rules::from_pool(&pool);
    assert_eq!(
        violations(&rules, &request(&pool, serde_json::json!({}))),
        Vec::<String>::new()
    );
    // Optional fields, given well, pass too.
    let full = request(
        &pool,
        serde_json::json!({
            "parentId": "0190C8B8-7B1A-7C2E-9D4F-3A2B1C0D9E8F",
            "communityId": "dongtou_beiao-01",
            "note": "第一行\n第二行\t",
            "period": "2026-06",
            "tags": ["a", "b", "c"],
            "items": [{"name": "a", "quantity": 1}, {"name": "b", "quantity": 1000}],
            "bounds": {"amount": "1", "score": 5, "size": 0, "ceiling": "-3"},
            "free": "abcd"
        }),
    );
    assert_eq!(violations(&rules, &full), Vec::<String>::new());
}

#[test]
fn an_empty_request_names_every_required_field_once() {
    let pool = pool();
    let rules = Rules::from_pool(&pool);
    assert_eq!(
        violations(&rules, &parse(&pool, "Request", "{}")),
        [
            "body: must not be empty",
            "choice: must be one of left, right",
            "id: must be an id returned by this API (a UUID)",
            "items: must list 1 to 2 items",
            "kind: must be set",
            "main: must be set",
            "request_id: must be 1 to 128 characters without surrounding spaces",
            "title: must not be empty",
        ]
    );
}

#[test]
fn each_format_refuses_what_it_does_not_hold() {
    let pool = pool();
    let rules = Rules::from_pool(&pool);
    let bad = request(
        &pool,
        serde_json::json!({
            "requestId": " padded ",
            "id": "not-a-uuid",
            "parentId": "123",
            "communityId": "北岙",
            "title": "a\u{7}b",
            "note": "bell\u{7}",
            "period": "2026-13",
            "free": "abcde",
            "body": "   "
        }),
    );
    assert_eq!(
        violations(&rules, &bad),
        [
            "body: must not be empty",
            "community_id: must be 1 to 64 letters, digits, '_' or '-'",
            "free: must be at most 4 characters",
            "id: must be an id returned by this API (a UUID)",
            "note: must not contain control characters",
            "parent_id: must be an id returned by this API (a UUID)",
            "period: must be a month, YYYY-MM",
            "request_id: must be 1 to 128 characters without surrounding spaces",
            "title: must not contain control characters",
        ]
    );
    // Lengths count characters after trimming; a month needs its two digits.
    let long = request(
        &pool,
        serde_json::json!({"title": "一二三四五六七八九十一二三四五六七八九十一", "note": " ".repeat(40), "period": "2026-6"}),
    );
    assert_eq!(
        violations(&rules, &long),
        [
            "period: must be a month, YYYY-MM",
            "title: must be at most 20 characters"
        ]
    );
}

#[test]
fn enums_must_be_defined_and_required_ones_set() {
    let pool = pool();
    let rules = Rules::from_pool(&pool);
    let mut message = request(&pool, serde_json::json!({}));
    message.set_field_by_name("kind", Value::EnumNumber(7));
    message.set_field_by_name("other", Value::EnumNumber(9));
    assert_eq!(
        violations(&rules, &message),
        [
            "kind: 7 is not one of the defined values",
            "other: 9 is not one of the defined values"
        ]
    );
    message.set_field_by_name("kind", Value::EnumNumber(0));
    message.set_field_by_name("other", Value::EnumNumber(0));
    assert_eq!(violations(&rules, &message), ["kind: must be set"]);
}

#[test]
fn lists_are_counted_kept_distinct_and_checked_item_by_item() {
    let pool = pool();
    let rules = Rules::from_pool(&pool);
    let message = request(
        &pool,
        serde_json::json!({
            "tags": ["a", "toolong", "a", ""],
            "items": [{"name": "a", "quantity": 1}, {"name": "", "quantity": 0}, {"name": "c", "quantity": 1001}]
        }),
    );
    assert_eq!(
        violations(&rules, &message),
        [
            "items: must list 1 to 2 items",
            "items[1].name: must not be empty",
            "items[1].quantity: must be 1 to 1000",
            "items[2].quantity: must be 1 to 1000",
            "tags: must list at most 3 items",
            "tags: must not repeat an item",
            "tags[1]: must be at most 5 characters",
            "tags[3]: must not be empty",
        ]
    );
}

#[test]
fn nested_messages_are_checked_where_they_are() {
    let pool = pool();
    let rules = Rules::from_pool(&pool);
    let message = request(
        &pool,
        serde_json::json!({
            "main": {"name": "一二三四五六七八九十一", "quantity": 1},
            "bounds": {"amount": "0", "score": 6, "size": -1, "ceiling": "101"},
            "right": {"name": ""},
            "left": null
        }),
    );
    assert_eq!(
        violations(&rules, &message),
        [
            "bounds.amount: must be at least 1",
            "bounds.ceiling: must be at most 100",
            "bounds.score: must be 1 to 5",
            "bounds.size: must not be negative",
            "main.name: must be at most 10 characters",
            "right.name: must not be empty",
            "right.quantity: must be 1 to 1000",
        ]
    );
}

#[test]
fn methods_are_checked_only_where_their_request_declares_rules() {
    let pool = pool();
    let rules = Rules::from_pool(&pool);
    assert_eq!(
        rules
            .method_input("/rules.test.v1.TestService/Call")
            .map(|m| m.full_name().to_owned()),
        Some("rules.test.v1.Request".to_owned())
    );
    assert!(
        rules
            .method_input("/rules.test.v1.TestService/Measure")
            .is_some()
    );
    assert!(
        rules
            .method_input("/rules.test.v1.TestService/Nothing")
            .is_none()
    );
    assert!(
        rules
            .method_input("/rules.test.v1.TestService/Gone")
            .is_none()
    );
}

#[test]
fn a_field_reads_back_as_the_rules_it_declares() {
    let pool = pool();
    let title = message(&pool, "Request")
        .get_field_by_name("title")
        .unwrap();
    assert_eq!(
        field_rules(&title),
        Some(FieldRules {
            required: true,
            format: Format::Line,
            max_len: Some(20),
            ..FieldRules::default()
        })
    );
    let bounds = message(&pool, "Bounds");
    let score = field_rules(&bounds.get_field_by_name("score").unwrap()).unwrap();
    assert_eq!((score.min, score.max), (Some(1), Some(5)));
    let plain = message(&pool, "Request").get_field_by_name("left").unwrap();
    assert_eq!(field_rules(&plain), None);
}

#[test]
fn xingfu_own_descriptors_load() {
    // The built-in set decodes and its rules read (the services declare theirs there).
    let rules = Rules::global();
    assert!(rules.method_input("/grpc.health.v1.Health/Check").is_none());
}

#[test]
fn an_updates_values_are_checked_only_where_they_are_set() {
    let pool = pool();
    let rules = Rules::from_pool(&pool);
    // Nothing is required of values a mask picks from ...
    let update = parse(
        &pool,
        "Update",
        r#"{"id": "0190c8b8-7b1a-7c2e-9d4f-3a2b1c0d9e8f", "values": {}}"#,
    );
    assert_eq!(violations(&rules, &update), Vec::<String>::new());
    // ... but what is set keeps its rules, nested messages included.
    let update = parse(
        &pool,
        "Update",
        r#"{"id": "x", "values": {"title": "a\u0007", "tags": ["a", "a"], "main": {"quantity": 0}, "period": "2026-13"}}"#,
    );
    // A message set inside the values keeps every rule of its own.
    assert_eq!(
        violations(&rules, &update),
        [
            "id: must be an id returned by this API (a UUID)",
            "values.main.name: must not be empty",
            "values.main.quantity: must be 1 to 1000",
            "values.period: must be a month, YYYY-MM",
            "values.tags: must not repeat an item",
            "values.title: must not contain control characters",
        ]
    );
}
