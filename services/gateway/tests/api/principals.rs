//! Who acted is who called, through the gateway on PostgreSQL: principals, roles and keys
//! managed through the API take effect without a restart, and four-eyes means two persons
//! whatever names one key writes.

use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use xingfu_proto::funds as pb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::gateway as gw;
use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
use xingfu_testkit::{TestEnv, eventually, holds};

use crate::helpers::{ApiKey, FUNDS, VOLUNTEERS, spawn_app, start, with_key};

type Keyed = InterceptedService<tonic::transport::Channel, ApiKey>;

/// Registers `id` as a person with `roles` (`role`, programme-wide, or `role@organisation`)
/// and returns a channel calling with a key issued to it.
async fn person(
    admin: &mut GatewayServiceClient<xingfu_testkit::Channel>,
    raw: &tonic::transport::Channel,
    id: &str,
    roles: &[&str],
) -> (Keyed, String) {
    admin
        .register_principal(gw::RegisterPrincipalRequest {
            id: id.into(),
            kind: gw::PrincipalKind::Person as i32,
            display_name: format!("{id} (民政局)"),
            ..Default::default()
        })
        .await
        .unwrap();
    for token in roles {
        let (role, organisation) = token.split_once('@').unwrap_or((token, ""));
        admin
            .grant_role(gw::RoleRequest {
                principal_id: id.into(),
                role: role.into(),
                organisation_id: organisation.into(),
            })
            .await
            .unwrap();
    }
    let key = admin
        .issue_api_key(gw::IssueApiKeyRequest {
            key_id: format!("{id}-key"),
            principal_id: id.into(),
            not_after: None,
        })
        .await
        .unwrap()
        .into_inner();
    (with_key(raw.clone(), &key.api_key), key.key_id)
}

fn code<T>(result: Result<T, tonic::Status>) -> Code {
    result.map_or_else(|s| s.code(), |_| Code::Ok)
}

#[tokio::test]
async fn one_key_cannot_complete_a_four_eyes_approval_whatever_names_it_writes() {
    let app = spawn_app(TestEnv::new(), &[FUNDS]).await;
    let raw = app.raw_channel().await;
    let mut admin = GatewayServiceClient::new(app.channel().await);
    let (clerk, _) = person(
        &mut admin,
        &raw,
        "clerk",
        &["grant_requester", "grant_approver"],
    )
    .await;
    // Approvers hold their role over the fund's organisation (bob), above it (carol:
    // programme-wide), or elsewhere (erin: no use here).
    let (bob, bob_key) = person(&mut admin, &raw, "bob", &["grant_approver@civil-affairs"]).await;
    let (carol, _) = person(&mut admin, &raw, "carol", &["grant_approver"]).await;
    let (erin, _) = person(&mut admin, &raw, "erin", &["grant_approver@education"]).await;

    let mut funds = FundsServiceClient::new(app.channel().await);
    let fund = funds
        .create_fund(pb::CreateFundRequest {
            request_id: "four-eyes-fund".into(),
            name: "社会爱心资金".into(),
            purpose: pb::Purpose::ChildSupport as i32,
            organisation_id: "civil-affairs".into(),
        })
        .await
        .unwrap()
        .into_inner();
    funds
        .donate(pb::DonateRequest {
            idempotency_key: "four-eyes-gift".into(),
            fund_id: fund.id.clone(),
            donor_kind: pb::DonorKind::Company as i32,
            donor_name: "洞头海产有限公司".into(),
            amount_fen: 10_000_000,
            channel: pb::DonationChannel::BankTransfer as i32,
            received_on: None,
        })
        .await
        .unwrap();

    let mut clerk = FundsServiceClient::new(clerk);
    let ask = |request_id: &str, requested_by: &str| pb::RequestGrantRequest {
        request_id: request_id.into(),
        fund_id: fund.id.clone(),
        kind: pb::GrantKind::ChildSupport as i32,
        beneficiary_ref: "case-0001".into(),
        amount_fen: 6_000_000,
        requested_by: requested_by.into(),
        ..Default::default()
    };
    // The clerk cannot request in another's name.
    let posing = clerk.request_grant(ask("g-posing", "alice")).await;
    assert_eq!(code(posing), Code::PermissionDenied);
    let grant = clerk
        .request_grant(ask("g-1", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(grant.requested_by, "clerk");
    assert_eq!(grant.approvals_required, 2);

    // One key naming two approvers: refused both times, nothing approved.
    for name in ["bob", "carol"] {
        let approve = clerk
            .approve_grant(pb::ApproveGrantRequest {
                id: grant.id.clone(),
                approver: name.into(),
            })
            .await;
        assert_eq!(code(approve), Code::PermissionDenied, "{name}");
    }
    // The requester approving under any spelling of its own id: refused.
    for name in ["", "CLERK", " Clerk "] {
        let own = clerk
            .approve_grant(pb::ApproveGrantRequest {
                id: grant.id.clone(),
                approver: name.into(),
            })
            .await;
        assert_eq!(code(own), Code::FailedPrecondition, "{name:?}");
    }
    // An approver of another organisation is no approver of this fund.
    let elsewhere = FundsServiceClient::new(erin)
        .approve_grant(pb::ApproveGrantRequest {
            id: grant.id.clone(),
            approver: String::new(),
        })
        .await;
    assert_eq!(code(elsewhere), Code::PermissionDenied);
    // Bob twice is still one pair of eyes.
    let mut bob = FundsServiceClient::new(bob);
    let approve = |id: &str| pb::ApproveGrantRequest {
        id: id.into(),
        approver: String::new(),
    };
    let first = bob.approve_grant(approve(&grant.id)).await.unwrap();
    assert_eq!(first.into_inner().status, pb::GrantStatus::Requested as i32);
    assert_eq!(
        code(bob.approve_grant(approve(&grant.id)).await),
        Code::AlreadyExists
    );
    let paid_early = bob
        .disburse_grant(pb::DisburseGrantRequest {
            id: grant.id.clone(),
        })
        .await;
    assert_eq!(code(paid_early), Code::FailedPrecondition);
    // Carol is the second person.
    let mut carol = FundsServiceClient::new(carol);
    let approved = carol.approve_grant(approve(&grant.id)).await.unwrap();
    assert_eq!(
        approved.into_inner().status,
        pb::GrantStatus::Approved as i32
    );

    // Revoking bob's key holds at once, without a restart.
    admin
        .revoke_api_key(gw::RevokeApiKeyRequest {
            key_id: bob_key.clone(),
        })
        .await
        .unwrap();
    let revoked = bob
        .get_grant(pb::GetGrantRequest {
            id: grant.id.clone(),
        })
        .await;
    assert_eq!(code(revoked), Code::Unauthenticated);

    // Revoking carol's role holds at once too: she can no longer pay.
    admin
        .revoke_role(gw::RoleRequest {
            principal_id: "carol".into(),
            role: "grant_approver".into(),
            organisation_id: String::new(),
        })
        .await
        .unwrap();
    let unpaid = carol
        .disburse_grant(pb::DisburseGrantRequest {
            id: grant.id.clone(),
        })
        .await;
    assert_eq!(code(unpaid), Code::PermissionDenied);
    app.stop().await;
}

#[tokio::test]
async fn only_admins_manage_principals_and_grants_reach_other_replicas() {
    let app = spawn_app(TestEnv::new(), &[FUNDS, VOLUNTEERS]).await;
    let raw = app.raw_channel().await;
    let mut admin = GatewayServiceClient::new(app.channel().await);
    let (dave, _) = person(&mut admin, &raw, "dave", &["grant_requester"]).await;
    let mut dave = GatewayServiceClient::new(dave);

    // A requester cannot grant itself (or anyone) a role, nor issue keys.
    let selfish = dave
        .grant_role(gw::RoleRequest {
            principal_id: "dave".into(),
            role: "grant_approver".into(),
            organisation_id: String::new(),
        })
        .await;
    assert_eq!(code(selfish), Code::PermissionDenied);
    let key = dave
        .issue_api_key(gw::IssueApiKeyRequest {
            key_id: "dave-second".into(),
            principal_id: "dave".into(),
            not_after: None,
        })
        .await;
    assert_eq!(code(key), Code::PermissionDenied);
    // It sees itself as the gateway does.
    let me = dave
        .get_current_principal(gw::GetCurrentPrincipalRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.id, "dave");
    assert!(me.roles.iter().any(|r| r.role == "grant_requester"));
    assert!(me.scopes.iter().any(|s| s == "funds:*"));

    // Bad input is INVALID_ARGUMENT with the fields named; a delegate role at an
    // organisation is refused (programme-wide only).
    let bad = admin
        .grant_role(gw::RoleRequest {
            principal_id: "dave".into(),
            role: "delegate".into(),
            organisation_id: "beiao-party".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let unknown = admin
        .grant_role(gw::RoleRequest {
            principal_id: "nobody".into(),
            role: "auditor".into(),
            organisation_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    // A principal limited to an organisation sees its organisation's funds only: not the
    // programme office's, not by list nor by id.
    let mut funds = FundsServiceClient::new(app.channel().await);
    let fund = |id: &str, organisation: &str| pb::CreateFundRequest {
        request_id: format!("fund-{id}"),
        name: format!("爱心资金 {id}"),
        purpose: pb::Purpose::General as i32,
        organisation_id: organisation.into(),
    };
    let theirs = funds
        .create_fund(fund("beiao", "beiao-party"))
        .await
        .unwrap()
        .into_inner();
    let programme = funds
        .create_fund(fund("district", ""))
        .await
        .unwrap()
        .into_inner();
    admin
        .register_principal(gw::RegisterPrincipalRequest {
            id: "street-clerk".into(),
            kind: gw::PrincipalKind::Person as i32,
            display_name: "街道办".into(),
            organisation_id: "beiao-party".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    for role in ["grant_requester", "organisation_admin"] {
        admin
            .grant_role(gw::RoleRequest {
                principal_id: "street-clerk".into(),
                role: role.into(),
                organisation_id: "beiao-party".into(),
            })
            .await
            .unwrap();
    }
    let limited_key = admin
        .issue_api_key(gw::IssueApiKeyRequest {
            key_id: "street-clerk-key".into(),
            principal_id: "street-clerk".into(),
            not_after: None,
        })
        .await
        .unwrap()
        .into_inner()
        .api_key;
    let mut limited = FundsServiceClient::new(with_key(raw.clone(), &limited_key));
    let listed = limited
        .list_funds(pb::ListFundsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .funds;
    assert_eq!(
        listed.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        [theirs.id.as_str()]
    );
    let hidden = limited
        .get_fund(pb::GetFundRequest { id: programme.id })
        .await;
    assert_eq!(code(hidden), Code::NotFound);
    // The audit trail spans every boundary: an organisation's admin does not read it.
    let audit = GatewayServiceClient::new(with_key(raw.clone(), &limited_key))
        .list_audit_records(gw::ListAuditRecordsRequest::default())
        .await;
    assert_eq!(code(audit), Code::PermissionDenied);

    // A read that may answer personal data in clear is audited; a plain read is not.
    let mut volunteers =
        xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient::new(
            app.channel().await,
        );
    let _ = volunteers
        .get_volunteer(xingfu_proto::volunteers::GetVolunteerRequest {
            id: "0190b5f4-0000-7000-8000-000000000000".into(),
        })
        .await;
    // The national batch carries ID numbers in clear to such a caller: audited too.
    let _ = volunteers
        .export_national_records(xingfu_proto::volunteers::ExportNationalRecordsRequest {
            organisation_id: "no-such-org".into(),
            from: Some(xingfu_proto::common::Date {
                year: 2026,
                month: 11,
                day: 1,
            }),
            to: Some(xingfu_proto::common::Date {
                year: 2026,
                month: 11,
                day: 30,
            }),
        })
        .await;
    eventually("the unmasking reads to be audited", || async {
        let records = admin
            .clone()
            .list_audit_records(gw::ListAuditRecordsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .records;
        let audited = |method: &str| {
            records
                .iter()
                .any(|r| r.method.ends_with(method) && r.credential == "key:test-admin")
        };
        holds(audited("/GetVolunteer") && audited("/ExportNationalRecords"))
    })
    .await;

    // A second gateway on the same database (another replica) sees a grant made here
    // within its refresh interval, without a restart.
    let mut second = app.env.settings.clone();
    second.set("gateway.auth.refresh_ms", 100).unwrap();
    for service in second.services.values_mut() {
        service.listen = "127.0.0.1:0".parse().unwrap();
    }
    let replica = start(&second, &[FUNDS, VOLUNTEERS]).await;
    let raw_replica =
        xingfu_testkit::raw_channel(replica.addr(xingfu_gateway::NAME).unwrap()).await;
    let dave_key = admin
        .issue_api_key(gw::IssueApiKeyRequest {
            key_id: "dave-replica".into(),
            principal_id: "dave".into(),
            not_after: None,
        })
        .await
        .unwrap()
        .into_inner()
        .api_key;
    let dave_there = GatewayServiceClient::new(with_key(raw_replica, &dave_key));
    admin
        .grant_role(gw::RoleRequest {
            principal_id: "dave".into(),
            role: "auditor".into(),
            organisation_id: String::new(),
        })
        .await
        .unwrap();
    eventually("the replica to see the grant", || async {
        let me = dave_there
            .clone()
            .get_current_principal(gw::GetCurrentPrincipalRequest {})
            .await
            .ok()?;
        holds(me.get_ref().roles.iter().any(|r| r.role == "auditor"))
    })
    .await;
    replica.stop().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_delegate_is_recorded_beside_the_person_it_acted_for() {
    let app = spawn_app(TestEnv::new(), &[FUNDS]).await;
    let raw = app.raw_channel().await;
    let mut admin = GatewayServiceClient::new(app.channel().await);
    let (importer, _) = person(
        &mut admin,
        &raw,
        "importer",
        &["delegate", "grant_requester"],
    )
    .await;
    let mut funds = FundsServiceClient::new(app.channel().await);
    let fund = funds
        .create_fund(pb::CreateFundRequest {
            request_id: "delegated-fund".into(),
            name: "社会爱心资金".into(),
            purpose: pb::Purpose::ChildSupport as i32,
            organisation_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let grant = FundsServiceClient::new(importer)
        .request_grant(pb::RequestGrantRequest {
            request_id: "imported-1".into(),
            fund_id: fund.id.clone(),
            kind: pb::GrantKind::ChildSupport as i32,
            beneficiary_ref: "case-0002".into(),
            amount_fen: 100_000,
            requested_by: "Alice".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // The record names the person; the event names both, beside the payload.
    assert_eq!(grant.requested_by, "alice");
    let db = xingfu_platform::db::Database::open(&app.env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    let (caller, on_behalf_of): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT caller, on_behalf_of FROM outbox WHERE aggregate_id = $1 \
         AND subject = 'funds.grant_requested.v1'",
    )
    .bind(&grant.id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(caller.as_deref(), Some("importer"));
    assert_eq!(on_behalf_of.as_deref(), Some("alice"));
    // The fund created by the admin itself names no one else.
    let (caller, on_behalf_of): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT caller, on_behalf_of FROM outbox WHERE aggregate_id = $1")
            .bind(&fund.id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(caller.as_deref(), Some("test-admin"));
    assert_eq!(on_behalf_of, None);
    db.close().await;

    // The audit trail names the delegate as the caller and the person acted for.
    let record = eventually("the delegated write to be audited", || async {
        admin
            .clone()
            .list_audit_records(gw::ListAuditRecordsRequest {
                caller: "importer".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .records
            .into_iter()
            .find(|r| r.method.ends_with("/RequestGrant"))
    })
    .await;
    assert_eq!(record.on_behalf_of, "alice");
    assert_eq!(record.credential, "key:importer-key");
    app.stop().await;
}

#[tokio::test]
async fn a_token_principal_named_by_an_address_is_managed_and_a_look_alike_is_refused() {
    let app = spawn_app(TestEnv::new(), &[]).await;
    let mut admin = GatewayServiceClient::new(app.channel().await);
    // A bearer token's principal is `jwt:<sub>`, and a subject may be an address.
    let id = "jwt:zheng.haisheng@dongtou.gov.cn";
    admin
        .register_principal(gw::RegisterPrincipalRequest {
            id: id.into(),
            kind: gw::PrincipalKind::Person as i32,
            display_name: "郑海生".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    admin
        .grant_role(gw::RoleRequest {
            principal_id: id.to_uppercase(),
            role: "auditor".into(),
            organisation_id: String::new(),
        })
        .await
        .unwrap();
    let read = admin
        .get_principal(gw::GetPrincipalRequest { id: id.into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.id, id);
    assert!(read.roles.iter().any(|r| r.role == "auditor"), "{read:?}");

    // A Kelvin sign (K, U+212A) is no `k`: the look-alike is refused, never taken for
    // `jwt:kim`.
    admin
        .register_principal(gw::RegisterPrincipalRequest {
            id: "jwt:kim".into(),
            kind: gw::PrincipalKind::Person as i32,
            display_name: "金".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let refused = admin
        .grant_role(gw::RoleRequest {
            principal_id: "jwt:\u{212A}im".into(),
            role: "programme_admin".into(),
            organisation_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let kim = admin
        .get_principal(gw::GetPrincipalRequest {
            id: "jwt:kim".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(kim.roles.is_empty(), "{kim:?}");
    app.stop().await;
}
