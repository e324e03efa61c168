//! The persons the demo acts through, registered with their roles and keys.

use super::*;

/// The persons the demo acts through, each with a key of its own and only its roles, so
/// the demo shows the programme's rules at work rather than one all-powerful key. The
/// admin's key (programme_admin) registers them and builds the directory and catalogue.
pub(super) struct People {
    /// activity_organiser: runs the activities, checks volunteers in, verifies hours.
    pub(super) organiser: Link,
    /// evaluator: rates volunteers for both sides.
    pub(super) evaluator: Link,
    /// delegate: records the volunteers' own acts in bulk (wishes they adopted).
    pub(super) importer: Link,
    /// grant_requester: asks for the grants.
    pub(super) requester: Link,
    /// grant_approver: approves and pays them, never its own request.
    pub(super) approver: Link,
    /// problem_handler: takes and resolves workshops' problems.
    pub(super) handler: Link,
}

/// The demo's persons: (id, name, roles).
const PEOPLE: [(&str, &str, &[&str]); 6] = [
    ("demo-organiser", "活动组织者", &["activity_organiser"]),
    ("demo-evaluator", "双评议评议人", &["evaluator"]),
    ("demo-importer", "数据录入员", &["delegate"]),
    ("demo-requester", "资助申请人", &["grant_requester"]),
    ("demo-approver", "资助审批人", &["grant_approver"]),
    ("demo-handler", "共富专员", &["problem_handler"]),
];

/// Registers the demo's persons with their roles through `admin` and issues each a new
/// key (a second load issues new keys; the persons and roles stay as they were).
pub(super) async fn people(channel: &Channel, admin: &Link) -> anyhow::Result<People> {
    use xingfu_proto::gateway as gw;
    let client = gw::gateway_service_client::GatewayServiceClient::new(admin.clone());
    let run = uuid_like();
    let mut links = Vec::new();
    for (id, name, roles) in PEOPLE {
        call!(client.register_principal(gw::RegisterPrincipalRequest {
            id: id.into(),
            kind: gw::PrincipalKind::Person as i32,
            display_name: name.into(),
            ..Default::default()
        }))?;
        for role in roles {
            call!(client.grant_role(gw::RoleRequest {
                principal_id: id.into(),
                role: (*role).into(),
                organisation_id: String::new(),
            }))?;
        }
        let key = call!(client.issue_api_key(gw::IssueApiKeyRequest {
            key_id: format!("{id}-{run}"),
            principal_id: id.into(),
            not_after: None,
        }))?;
        links.push(InterceptedService::new(
            channel.clone(),
            ApiKey::new(&key.api_key)?,
        ));
    }
    let mut links = links.into_iter();
    let mut next = || links.next().context("a link per person");
    Ok(People {
        organiser: next()?,
        evaluator: next()?,
        importer: next()?,
        requester: next()?,
        approver: next()?,
        handler: next()?,
    })
}

/// A short id unique to this load, for the keys it issues.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}", nanos & 0xffff_ffff_ffff)
}
