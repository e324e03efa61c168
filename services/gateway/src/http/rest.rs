//! Every unary call as JSON over HTTP, mapped from the protos by one rule (see
//! [`super::Route`]): a read's request fields come from the query string (`?category=…`,
//! nested fields dotted: `page.page_size=20`, repeated ones repeated), a write's from the
//! JSON body (proto field names or lowerCamelCase, as the proto3 JSON mapping allows).
//! The call then goes through the gateway's own gRPC layers with the caller's
//! `x-api-key`, so keys, scopes, limits and audit are the same. The answer is the proto3
//! JSON of the response with proto field names and every field present; an error is
//! `{"code", "message", "details"}` with the HTTP status of its gRPC code.

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt as _;
use prost::Message as _;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, SerializeOptions,
};
use serde_json::{Map, Value, json};
use tonic::Code;
use tonic_types::StatusExt as _;
use tower::ServiceExt as _;

use super::{Route, routes};
use crate::auth::{API_KEY_HEADER, Access};
use crate::layers::Gateway;

/// Serves the JSON routes through `gateway`, the same stack as gRPC calls.
pub fn router(gateway: Gateway) -> axum::Router {
    axum::Router::new()
        // Every method reaches `call`, which answers a wrong one 405 with an `Allow` header
        // naming the one method the document gives the route.
        .route("/v1/{service}/{slug}", axum::routing::any(call))
        .with_state(gateway)
}

async fn call(
    State(gateway): State<Gateway>,
    Path((service, slug)): Path<(String, String)>,
    method: http::Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_rejected(&rejection),
    };
    let Some(route) = routes()
        .iter()
        .find(|r| r.service == service && r.slug == slug)
    else {
        return error(
            Code::NotFound,
            "no such call; see /openapi.json",
            Map::new(),
        );
    };
    let wanted = match route.access {
        Access::Read => "GET",
        Access::Write => "POST",
    };
    if method.as_str() != wanted {
        let mut response = error(
            Code::Unimplemented,
            &format!("{} takes {wanted}", route.path()),
            Map::new(),
        );
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static(wanted));
        return response;
    }
    let input = route.method.input();
    let request = match route.access {
        Access::Read => from_query(&input, query.as_deref().unwrap_or("")),
        Access::Write if body.is_empty() => Ok(DynamicMessage::new(input)),
        Access::Write => serde_json::from_slice::<Value>(&body)
            .map_err(|e| e.to_string())
            .and_then(|value| {
                DynamicMessage::deserialize_with_options(input, value, &DeserializeOptions::new())
                    .map_err(|e| e.to_string())
            }),
    };
    let request = match request {
        Ok(request) => request,
        Err(reason) => {
            return error(
                Code::InvalidArgument,
                &format!(
                    "the request does not match {}: {reason}",
                    route.method.input().full_name()
                ),
                Map::new(),
            );
        }
    };
    forward(gateway, route, request, &headers).await
}

/// Sends `request` through the gateway's gRPC stack and answers its outcome as JSON.
async fn forward(
    gateway: Gateway,
    route: &Route,
    request: DynamicMessage,
    headers: &HeaderMap,
) -> Response {
    let message = request.encode_to_vec();
    let mut frame = Vec::with_capacity(message.len() + 5);
    frame.push(0);
    frame.extend_from_slice(
        &u32::try_from(message.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    frame.extend_from_slice(&message);
    let mut grpc = http::Request::builder()
        .method(http::Method::POST)
        .uri(route.grpc_path())
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(axum::body::Body::from(frame))
        .unwrap_or_default();
    for name in [
        API_KEY_HEADER,
        "authorization",
        "traceparent",
        "grpc-timeout",
    ] {
        if let Some(value) = headers.get(name) {
            grpc.headers_mut().insert(name, value.clone());
        }
    }
    let Ok(answer) = gateway.oneshot(grpc).await;
    let (parts, body) = answer.into_parts();
    let collected = match body.collect().await {
        Ok(collected) => collected,
        Err(status) => return error(status.code(), status.message(), Map::new()),
    };
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let data = collected.to_bytes();
    // A trailers-only answer carries its status in the headers.
    let status_headers = if trailers.contains_key("grpc-status") {
        &trailers
    } else {
        &parts.headers
    };
    let status = tonic::Status::from_header_map(status_headers)
        .unwrap_or_else(|| tonic::Status::unknown("the answer carried no status"));
    if status.code() != Code::Ok {
        return error(status.code(), status.message(), details(&status));
    }
    let decoded = data.get(5..).ok_or("an empty answer").and_then(|bytes| {
        DynamicMessage::decode(route.method.output(), bytes).map_err(|_| "an undecodable answer")
    });
    match decoded {
        Ok(message) => {
            let options = SerializeOptions::new()
                .use_proto_field_name(true)
                .skip_default_fields(false);
            match message.serialize_with_options(serde_json::value::Serializer, &options) {
                Ok(value) => json_response(StatusCode::OK, &value),
                Err(e) => error(Code::Internal, &e.to_string(), Map::new()),
            }
        }
        Err(reason) => error(Code::Internal, reason, Map::new()),
    }
}

/// A request message from a query string.
fn from_query(input: &MessageDescriptor, query: &str) -> Result<DynamicMessage, String> {
    let mut root = Map::new();
    for (key, value) in form_urlencoded(query) {
        let path: Vec<&str> = key.split('.').collect();
        set(&mut root, input, &path, &value)?;
    }
    DynamicMessage::deserialize_with_options(
        input.clone(),
        Value::Object(root),
        &DeserializeOptions::new(),
    )
    .map_err(|e| e.to_string())
}

/// Puts `value` at `path` below `object`, typed by the field it names.
fn set(
    object: &mut Map<String, Value>,
    message: &MessageDescriptor,
    path: &[&str],
    value: &str,
) -> Result<(), String> {
    let (name, rest) = path.split_first().ok_or("an empty parameter name")?;
    let field = message
        .get_field_by_name(name)
        .or_else(|| message.get_field_by_json_name(name))
        .ok_or_else(|| format!("{} has no field {name:?}", message.full_name()))?;
    let key = field.name().to_owned();
    if let (Kind::Message(inner), false) = (field.kind(), rest.is_empty()) {
        let entry = object
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(inner_object) = entry else {
            return Err(format!("{name} is given twice"));
        };
        return set(inner_object, &inner, rest, value);
    }
    if !rest.is_empty() {
        return Err(format!("{name} has no fields"));
    }
    let typed = scalar(&field, value)?;
    if field.is_list() {
        let entry = object
            .entry(key)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(typed);
        }
    } else {
        object.insert(key, typed);
    }
    Ok(())
}

/// A query value as the JSON the field's type takes.
fn scalar(field: &FieldDescriptor, value: &str) -> Result<Value, String> {
    let bad = || format!("{} cannot be {value:?}", field.name());
    Ok(match field.kind() {
        Kind::Bool => Value::Bool(value.parse().map_err(|_| bad())?),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            json!(value.parse::<i32>().map_err(|_| bad())?)
        }
        Kind::Uint32 | Kind::Fixed32 => json!(value.parse::<u32>().map_err(|_| bad())?),
        Kind::Float | Kind::Double => json!(value.parse::<f64>().map_err(|_| bad())?),
        // 64-bit integers, strings, bytes (base64), enums (names) and the string-valued
        // well-known types (Timestamp, FieldMask) are JSON strings.
        _ => Value::String(value.to_owned()),
    })
}

/// `a=1&b=x%20y` as pairs, percent-decoded.
fn form_urlencoded(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The error details a caller can act on, as JSON.
fn details(status: &tonic::Status) -> Map<String, Value> {
    let details = status.get_error_details();
    let mut out = Map::new();
    if let Some(bad) = details.bad_request() {
        out.insert(
            "field_violations".into(),
            bad.field_violations
                .iter()
                .map(|v| json!({"field": v.field, "description": v.description}))
                .collect(),
        );
    }
    if let Some(pre) = details.precondition_failure() {
        out.insert(
            "precondition_failures".into(),
            pre.violations
                .iter()
                .map(|v| json!({"type": v.r#type, "subject": v.subject, "description": v.description}))
                .collect(),
        );
    }
    if let Some(delay) = details.retry_info().and_then(|r| r.retry_delay) {
        out.insert("retry_after_ms".into(), json!(delay.as_millis()));
    }
    out
}

/// `value` as a JSON answer.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// The HTTP status of a gRPC code (as Google's API guidelines map them).
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A body the port would not read whole, in the JSON error form: too large (413,
/// RESOURCE_EXHAUSTED, as gRPC says of a message over its limit) or broken off.
fn body_rejected(rejection: &BytesRejection) -> Response {
    let status = rejection.status();
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        Code::ResourceExhausted
    } else {
        Code::InvalidArgument
    };
    let mut response = error(code, &rejection.body_text(), Map::new());
    *response.status_mut() = status;
    response
}

/// An error answer; `details` is always an object (empty when there is nothing to act on),
/// as the OpenAPI document's `Error` says.
fn error(code: Code, message: &str, details: Map<String, Value>) -> Response {
    let name = crate::audit::code_name(code as i32);
    let mut response = json_response(
        http_status(code),
        &json!({"code": name, "message": message, "details": details}),
    );
    response
        .headers_mut()
        .insert("x-grpc-code", HeaderValue::from_static(name));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_typed_requests() {
        let input = crate::descriptors::pool()
            .get_message_by_name("xingfu.projects.v1.ListProjectsRequest")
            .unwrap();
        let message = from_query(&input, "category=CATEGORY_TRANSPORT&page.page_size=20").unwrap();
        let json = message
            .serialize_with_options(
                serde_json::value::Serializer,
                &SerializeOptions::new().use_proto_field_name(true),
            )
            .unwrap();
        assert_eq!(json["category"], "CATEGORY_TRANSPORT");
        assert_eq!(json["page"]["page_size"], 20);
        assert!(from_query(&input, "nonsense=1").is_err());
        assert!(from_query(&input, "page.page_size=lots").is_err());
        assert_eq!(decode("a%20b+c%E5%B0%8F"), "a b c小");
        assert_eq!(
            http_status(Code::ResourceExhausted),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}
