//! The OpenAPI 3.0 document of the JSON routes, made from the descriptor set by the same
//! rule that makes the routes, so it cannot drift from them.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};

use super::{constraints, routes};
use crate::auth::{API_KEY_HEADER, Access};

/// Nested request fields flattened into query parameters, at most this deep.
const QUERY_DEPTH: usize = 2;

/// The document, served at `/openapi.json`.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut wanted = BTreeSet::new();
    for route in routes() {
        let input = route.method.input();
        let output = route.method.output();
        wanted.insert(output.full_name().to_owned());
        let mut operation = json!({
            "operationId": format!("{}.{}", route.service, route.method.name()),
            "summary": format!("{} ({})", route.method.name(), route.method.parent_service().full_name()),
            "tags": [route.service],
            "responses": {
                "200": {
                    "description": "the answer",
                    "content": {"application/json": {"schema": reference(&output)}}
                },
                "default": {
                    "description": "an error: the gRPC code name, a message and the details a caller can act on",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            }
        });
        let verb = match route.access {
            Access::Read => {
                let mut parameters = Vec::new();
                query_parameters(&input, "", 0, &mut parameters);
                operation["parameters"] = Value::Array(parameters);
                "get"
            }
            Access::Write => {
                wanted.insert(input.full_name().to_owned());
                // A body is always sent: `{}` is a request whose every field is unset.
                operation["requestBody"] = json!({
                    "required": true,
                    "content": {"application/json": {"schema": reference(&input)}}
                });
                "post"
            }
        };
        paths.insert(route.path(), json!({ verb: operation }));
    }
    let mut schemas = BTreeMap::new();
    let mut queue: Vec<String> = wanted.into_iter().collect();
    while let Some(name) = queue.pop() {
        if schemas.contains_key(&name) {
            continue;
        }
        // `<message>#partial`: the message as an update's values.
        let (message_name, partial) = match name.strip_suffix(PARTIAL) {
            Some(base) => (base, true),
            None => (name.as_str(), false),
        };
        let Some(message) = crate::descriptors::pool().get_message_by_name(message_name) else {
            continue;
        };
        let schema = message_schema(&message, partial, &mut queue);
        schemas.insert(name, schema);
    }
    let mut components: Map<String, Value> = schemas
        .into_iter()
        .map(|(name, schema)| (schema_name(&name), schema))
        .collect();
    components.insert(
        "Error".into(),
        json!({
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "the gRPC status code name, e.g. INVALID_ARGUMENT"},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "description": "what a caller can act on; empty when there is nothing",
                    "properties": {
                        "field_violations": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "field": {"type": "string"},
                                    "description": {"type": "string"}
                                },
                                "required": ["field", "description"]
                            }
                        },
                        "precondition_failures": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "type": {"type": "string"},
                                    "subject": {"type": "string"},
                                    "description": {"type": "string"}
                                },
                                "required": ["type", "subject", "description"]
                            }
                        },
                        "retry_after_ms": {"type": "integer", "minimum": 0}
                    }
                }
            },
            "required": ["code", "message", "details"]
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "xingfu",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The JSON form of xingfu's gRPC APIs (xingfu.<service>.v1): a read is GET /v1/<service>/<method-in-kebab-case> with its request fields in the query, a write is POST with its request as the JSON body. Field names are the protos'; 64-bit integers are strings; enums are their names."
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
            }
        }
    })
}

/// The suffix of a message's name in the queue when it is wanted as an update's values.
const PARTIAL: &str = "#partial";

fn schema_name(full_name: &str) -> String {
    full_name.replace('.', "_").replace(PARTIAL, "_Partial")
}

fn reference(message: &MessageDescriptor) -> Value {
    json!({"$ref": format!("#/components/schemas/{}", schema_name(message.full_name()))})
}

/// The schema of `message`; a `partial` one (an update's values) requires nothing.
fn message_schema(message: &MessageDescriptor, partial: bool, queue: &mut Vec<String>) -> Value {
    let properties: Map<String, Value> = message
        .fields()
        .map(|field| {
            (
                field.name().to_owned(),
                field_schema(&field, partial, queue),
            )
        })
        .collect();
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    constraints::constrain_message(message, partial, &mut schema);
    Value::Object(schema)
}

fn field_schema(field: &FieldDescriptor, partial: bool, queue: &mut Vec<String>) -> Value {
    if field.is_map()
        && let Kind::Message(entry) = field.kind()
        && let Some(value) = entry.get_field_by_name("value")
    {
        return json!({"type": "object", "additionalProperties": single(&value, queue)});
    }
    let one = single(field, queue);
    if constraints::has_rules(field) {
        constraints::constrain(field, one, partial)
    } else if field.is_list() {
        json!({"type": "array", "items": one})
    } else {
        one
    }
}

/// The schema of one value of `field`.
fn single(field: &FieldDescriptor, queue: &mut Vec<String>) -> Value {
    match field.kind() {
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            json!({"type": "integer", "format": "int32"})
        }
        Kind::Uint32 | Kind::Fixed32 => json!({"type": "integer", "format": "int64", "minimum": 0}),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
            json!({"type": "string", "format": "int64"})
        }
        Kind::Float => json!({"type": "number", "format": "float"}),
        Kind::Double => json!({"type": "number", "format": "double"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "format": "byte"}),
        Kind::Enum(e) => {
            let names: Vec<String> = e.values().map(|v| v.name().to_owned()).collect();
            json!({"type": "string", "enum": names})
        }
        Kind::Message(m) => match m.full_name() {
            "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
            // The JSON form of a mask: lowerCamelCase paths, comma-separated.
            "google.protobuf.FieldMask" => json!({
                "type": "string",
                "description": "field paths in lowerCamelCase, comma-separated",
                "pattern": "^([a-z][A-Za-z0-9]*(\\.[a-z][A-Za-z0-9]*)*(,[a-z][A-Za-z0-9]*(\\.[a-z][A-Za-z0-9]*)*)*)?$"
            }),
            "google.protobuf.Duration" => json!({"type": "string", "description": "e.g. 1.5s"}),
            name if constraints::is_partial(field) => {
                let partial = format!("{name}{PARTIAL}");
                let link =
                    json!({"$ref": format!("#/components/schemas/{}", schema_name(&partial))});
                queue.push(partial);
                link
            }
            name => {
                queue.push(name.to_owned());
                reference(&m)
            }
        },
    }
}

/// Query parameters of a read: every scalar field, nested messages dotted.
fn query_parameters(message: &MessageDescriptor, prefix: &str, depth: usize, out: &mut Vec<Value>) {
    for field in message.fields() {
        let name = format!("{prefix}{}", field.name());
        match field.kind() {
            Kind::Message(inner)
                if !field.is_list()
                    && depth + 1 < QUERY_DEPTH
                    && !inner.full_name().starts_with("google.protobuf.") =>
            {
                query_parameters(&inner, &format!("{name}."), depth + 1, out);
            }
            Kind::Message(inner) if !inner.full_name().starts_with("google.protobuf.") => {}
            _ => {
                let mut unused = Vec::new();
                let one = single(&field, &mut unused);
                let schema = if constraints::has_rules(&field) {
                    constraints::constrain(&field, one, false)
                } else if field.is_list() {
                    json!({"type": "array", "items": one})
                } else {
                    one
                };
                // A nested field is required only when its message is given.
                let required = depth == 0 && constraints::is_required(&field);
                out.push(json!({
                    "name": name,
                    "in": "query",
                    "required": required,
                    "schema": schema,
                    "explode": true
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_described_with_its_schemas() {
        let doc = document();
        let list = &doc["paths"]["/v1/projects/list-projects"]["get"];
        let names: Vec<&str> = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"category") && names.contains(&"page.page_size"),
            "{names:?}"
        );
        assert!(doc["paths"]["/v1/projects/create-project"]["post"]["requestBody"].is_object());
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        assert!(schemas.contains_key("xingfu_projects_v1_Project"));
        assert!(
            schemas.contains_key("xingfu_common_v1_Money"),
            "nested messages too"
        );
        assert_eq!(doc["paths"].as_object().unwrap().len(), routes().len());
    }

    #[test]
    fn the_declared_rules_are_in_the_schemas() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let donate = &schemas["xingfu_funds_v1_DonateRequest"];
        let required: Vec<&str> = donate["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for field in ["idempotency_key", "fund_id", "donor_kind", "channel"] {
            assert!(required.contains(&field), "{field} in {required:?}");
        }
        assert!(
            !required.contains(&"donor_name"),
            "depends on the donor kind"
        );
        let amount = &donate["properties"]["amount_fen"];
        assert_eq!(
            (&amount["type"], &amount["minimum"], &amount["maximum"]),
            (&json!("integer"), &json!(1), &json!(10_000_000_000_i64))
        );
        assert_eq!(donate["properties"]["fund_id"]["format"], json!("uuid"));
        let channels = donate["properties"]["channel"]["enum"].as_array().unwrap();
        assert!(!channels.contains(&json!("DONATION_CHANNEL_UNSPECIFIED")));

        // A create requires what an update's values (the same message, partial) need not.
        let create = &schemas["xingfu_projects_v1_CreateProjectRequest"];
        assert_eq!(
            create["required"],
            json!(["request_id", "title", "category", "community_ids"])
        );
        assert_eq!(create["additionalProperties"], json!(false));
        let update = &schemas["xingfu_projects_v1_UpdateProjectRequest"]["properties"]["values"];
        assert_eq!(
            update["$ref"],
            json!("#/components/schemas/xingfu_projects_v1_CreateProjectRequest_Partial")
        );
        let partial = &schemas["xingfu_projects_v1_CreateProjectRequest_Partial"];
        assert!(partial.get("required").is_none(), "{partial}");
        assert_eq!(partial["properties"]["title"]["maxLength"], json!(200));
        assert!(
            partial["properties"]["community_ids"]
                .get("minItems")
                .is_none()
        );

        // A 64-bit integer of a message answers carry too stays a string, bounds in words.
        let served = &schemas["xingfu_projects_v1_Outcome"]["properties"]["beneficiaries"];
        assert_eq!(served["type"], json!("string"), "{served}");
        assert_eq!(served["pattern"], json!("^[0-9]{1,18}$"), "{served}");

        let fund = &schemas["xingfu_funds_v1_CreateFundRequest"]["properties"]["name"];
        assert_eq!(
            (&fund["minLength"], &fund["maxLength"]),
            (&json!(1), &json!(200))
        );
        let review = &schemas["xingfu_projects_v1_ReviewNeedRequest"];
        assert_eq!(
            review["x-xingfu-one-of"],
            json!([["accept", "attach", "duplicate", "decline"]]),
            "{review}"
        );

        // A read's query parameters carry them too: a month, paging's floor.
        let list = &doc["paths"]["/v1/funds/list-donations"]["get"]["parameters"];
        let parameter = |name: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == json!(name))
                .unwrap()
                .clone()
        };
        let month = parameter("from_period");
        let month = regex::Regex::new(month["schema"]["pattern"].as_str().unwrap()).unwrap();
        for good in ["2026-06", "0001-12", ""] {
            assert!(month.is_match(good), "{good}");
        }
        for bad in ["2026-13", "0000-01", "2026-6", "+202-01", " 2026-06"] {
            assert!(!month.is_match(bad), "{bad}");
        }
        assert_eq!(parameter("page.page_size")["schema"]["minimum"], json!(0));

        // A required line holds something besides spaces, and no control character.
        let line = regex::Regex::new(fund["pattern"].as_str().unwrap()).unwrap();
        for good in ["小桔灯", "  a b  "] {
            assert!(line.is_match(good), "{good}");
        }
        for bad in ["", "   ", "a\nb", "a\u{7}b", "\u{85}"] {
            assert!(!line.is_match(bad), "{bad:?}");
        }
        let key = &donate["properties"]["idempotency_key"];
        let key_pattern = regex::Regex::new(key["pattern"].as_str().unwrap()).unwrap();
        assert!(key_pattern.is_match("k") && key_pattern.is_match("gift 2026/1"));
        assert!(
            !key_pattern.is_match(" k") && !key_pattern.is_match("k ") && !key_pattern.is_match("")
        );
        let id = regex::Regex::new(donate["properties"]["fund_id"]["pattern"].as_str().unwrap())
            .unwrap();
        assert!(id.is_match("0190c8b8-7b1a-7c2e-9d4f-3a2b1c0d9e8f") && !id.is_match("0190c8b8"));
    }
}
