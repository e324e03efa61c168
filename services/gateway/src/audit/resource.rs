//! The resource an audited call touched, read from the first message of its answer or
//! request with the shared descriptor set: only an id, never other fields.

use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage as _, Value};

/// The most characters of a resource id kept in a record.
const RESOURCE_ID_CHARS: usize = 256;

/// The resource a call of `method` (`package.Service/Method`) touched: the answer's `id`,
/// else the request's first `…_id`.
pub(super) fn resource_id(method: &str, request: &[u8], response: &[u8]) -> Option<String> {
    let (service, name) = method.split_once('/')?;
    let method = crate::descriptors::method(service, name)?;
    let from_answer = first_message(method.output(), response)
        .and_then(|m| string_field(&m, |field| field == "id"));
    let id = from_answer.or_else(|| {
        first_message(method.input(), request).and_then(|m| {
            string_field(&m, |field| {
                field == "id" || (field.ends_with("_id") && field != "request_id")
            })
        })
    })?;
    // A caller's own id field: no NUL (PostgreSQL refuses it in text) and bounded.
    Some(
        id.chars()
            .filter(|c| *c != '\0')
            .take(RESOURCE_ID_CHARS)
            .collect(),
    )
}

/// The first message of a gRPC body (uncompressed, whole within the captured bytes).
fn first_message(descriptor: MessageDescriptor, bytes: &[u8]) -> Option<DynamicMessage> {
    let (&compressed, rest) = bytes.split_first()?;
    let length = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let message = rest.get(4..4 + length)?;
    (compressed == 0)
        .then(|| DynamicMessage::decode(descriptor, message).ok())
        .flatten()
}

fn string_field(message: &DynamicMessage, wanted: impl Fn(&str) -> bool) -> Option<String> {
    message.descriptor().fields().find_map(|field| {
        if !wanted(field.name()) {
            return None;
        }
        match message.get_field(&field).as_ref() {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(message: &impl prost::Message) -> Vec<u8> {
        let body = message.encode_to_vec();
        let mut out = vec![0];
        out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn the_resource_is_the_answers_id_else_the_requests() {
        use xingfu_proto::{funds, projects};
        let created = framed(&projects::Project {
            id: "p-1".into(),
            ..Default::default()
        });
        let request = framed(&projects::CreateProjectRequest {
            request_id: "key".into(),
            ..Default::default()
        });
        let method = "xingfu.projects.v1.ProjectsService/CreateProject";
        assert_eq!(
            resource_id(method, &request, &created).as_deref(),
            Some("p-1")
        );
        let donate = framed(&funds::DonateRequest {
            idempotency_key: "k".into(),
            fund_id: "fund-1".into(),
            ..Default::default()
        });
        assert_eq!(
            resource_id("xingfu.funds.v1.FundsService/Donate", &donate, &[]).as_deref(),
            Some("fund-1"),
            "an error answer has no id: the request's names the resource"
        );
        assert_eq!(
            resource_id(method, &request, &[]),
            None,
            "request_id is not a resource"
        );
    }
}
