//! Who acted is who called (issue 16): claims and dispatches are answered by principals of
//! the organisation named, the lead and co-organisers keep their projects' visits and
//! contracts, a caller limited to an organisation's subtree sees and changes only what its
//! organisations own, and one limited to a township only what is located there.

use tonic::{Code, Status};
use xingfu_proto::projects as pb;

use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::Channel;

use crate::helpers::{TestApp, date, spawn_app};

/// org-a with school-a below it, and org-b beside them.
async fn directory(app: &TestApp) {
    app.organisation("org-a", "").await;
    app.organisation("school-a", "org-a").await;
    app.organisation("org-b", "").await;
}

use xingfu_testkit::assert_denied as denied;

fn claim(id: &str, org: &str) -> pb::ClaimProjectRequest {
    pb::ClaimProjectRequest {
        id: id.into(),
        organisation_id: org.into(),
    }
}

fn visit(request_id: &str, project_id: &str) -> pb::RecordVisitRequest {
    pb::RecordVisitRequest {
        request_id: request_id.into(),
        project_id: project_id.into(),
        community_id: "beiao-xiaoqu-01".into(),
        date: date(2026, 5, 1),
        kind: "calligraphy class".into(),
        person_times: 12,
        volunteer_ids: Vec::new(),
    }
}

#[tokio::test]
async fn a_claim_is_made_by_a_principal_of_the_organisation_claiming() {
    let mut app = spawn_app().await;
    directory(&app).await;
    let project = app.published("claim-1").await;

    let mut stranger = app
        .client_as("b-clerk", &["organisation_admin@org-b"], None)
        .await;
    let status = stranger
        .claim_project(claim(&project.id, "school-a"))
        .await
        .unwrap_err();
    denied(&status, "ROLE_REQUIRED");
    let mut auditor = app.client_as("a-auditor", &["auditor@org-a"], None).await;
    let status = auditor
        .claim_project(claim(&project.id, "org-a"))
        .await
        .unwrap_err();
    denied(&status, "ROLE_REQUIRED");

    // A role held at org-a covers school-a below it; the boundary lets the clerk see the
    // open library, where the project waits.
    let mut clerk = app
        .client_as("a-clerk", &["activity_organiser@org-a"], Some("org-a"))
        .await;
    let claimed = clerk
        .claim_project(claim(&project.id, "school-a"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(claimed.lead_organisation.unwrap().id, "school-a");
    app.stop().await;
}

#[tokio::test]
async fn a_dispatch_is_answered_only_by_the_organisation_dispatched_to() {
    let mut app = spawn_app().await;
    directory(&app).await;
    let project = app.published("dispatch-1").await;
    let dispatch = |org: &str| pb::DispatchProjectRequest {
        id: project.id.clone(),
        organisation_id: org.into(),
        respond_by: None,
    };
    let answer = |org: &str| pb::RespondToDispatchRequest {
        id: project.id.clone(),
        organisation_id: org.into(),
        accept: true,
        reason: String::new(),
    };

    // Dispatching needs an administrator over the organisation sent to.
    let mut b_admin = app
        .client_as("b-admin", &["organisation_admin@org-b"], Some("org-b"))
        .await;
    denied(
        &b_admin
            .dispatch_project(dispatch("school-a"))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let mut a_admin = app
        .client_as("a-admin", &["organisation_admin@org-a"], Some("org-a"))
        .await;
    a_admin
        .dispatch_project(dispatch("school-a"))
        .await
        .unwrap();

    // org-b's principal cannot answer for school-a, whatever it claims to be.
    let mut b_clerk = app
        .client_as("b-clerk", &["activity_organiser@org-b"], None)
        .await;
    denied(
        &b_clerk
            .respond_to_dispatch(answer("school-a"))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let mut school = app
        .client_as(
            "school-clerk",
            &["activity_organiser@school-a"],
            Some("school-a"),
        )
        .await;
    let accepted = school
        .respond_to_dispatch(answer("school-a"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.lead_organisation.unwrap().id, "school-a");
    app.stop().await;
}

#[tokio::test]
async fn a_caller_limited_to_org_a_neither_reads_nor_changes_org_b_projects() {
    let mut app = spawn_app().await;
    directory(&app).await;
    let ours = app.claimed("ours", "school-a").await;
    let theirs = app.claimed("theirs", "org-b").await;
    let open = app.published("open").await;
    let draft = app
        .client
        .create_project(crate::helpers::new_project("draft"))
        .await
        .unwrap()
        .into_inner();
    app.client
        .record_visit(visit("v-theirs", &theirs.id))
        .await
        .unwrap();
    app.client
        .record_visit(visit("v-ours", &ours.id))
        .await
        .unwrap();
    let mut clerk = app
        .client_as("a-clerk", &["organisation_admin@org-a"], Some("org-a"))
        .await;

    // By id, org-b's project and the office's draft answer as a missing id does.
    let missing = uuid::Uuid::now_v7().to_string();
    for id in [&theirs.id, &draft.id, &missing] {
        let get = pb::GetProjectRequest { id: id.clone() };
        let status = clerk.get_project(get.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
        assert_eq!(
            clerk.trace_project(get).await.unwrap_err().code(),
            Code::NotFound
        );
    }
    clerk
        .get_project(pb::GetProjectRequest {
            id: ours.id.clone(),
        })
        .await
        .unwrap();

    // Writes by id outside are refused the same way.
    let start = pb::TransitionRequest {
        id: theirs.id.clone(),
        version: 0,
    };
    assert_eq!(
        clerk.start_project(start).await.unwrap_err().code(),
        Code::NotFound
    );
    let status = clerk
        .record_visit(visit("v-sneak", &theirs.id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let hand_over = pb::HandOverProjectRequest {
        id: theirs.id.clone(),
        organisation_id: "org-a".into(),
        reason: "we take it".into(),
    };
    assert_eq!(
        clerk.hand_over_project(hand_over).await.unwrap_err().code(),
        Code::NotFound
    );

    // Lists and figures count only what lies inside, and the open library.
    let listed: Vec<String> = clerk
        .list_projects(pb::ListProjectsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .projects
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, [open.id.clone(), ours.id.clone()]);
    let visits = clerk
        .list_visits(pb::ListVisitsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .visits;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].project_id, ours.id);
    let stats = clerk
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.total, stats.visits, stats.person_times), (2, 1, 12));
    let summary = clerk
        .get_community_summary(pb::GetCommunitySummaryRequest {
            community_id: "beiao-xiaoqu-01".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((summary.projects, summary.visits), (2, 1));
    let everything = app
        .client
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((everything.total, everything.visits), (4, 2));
    app.stop().await;
}

/// Townships: 北岙街道 (A) holds a-01 and a-02, 大门镇 (B) holds b-01; `nowhere-01` is a
/// community the directory has not placed, so a record there is located nowhere.
const TOWNSHIP_A: &str = "北岙街道";

async fn townships(app: &TestApp) {
    app.community("a-01", TOWNSHIP_A).await;
    app.community("a-02", TOWNSHIP_A).await;
    app.community("b-01", "大门镇").await;
}

/// A caller limited to township A, acting programme-wide.
async fn township_clerk(app: &TestApp) -> ProjectsServiceClient<Channel> {
    app.client_in_township("a-clerk", &["organisation_admin"], TOWNSHIP_A)
        .await
}

/// A project of `communities` (a draft), made by the unlimited admin.
async fn project_in(app: &mut TestApp, request_id: &str, communities: &[&str]) -> pb::Project {
    let mut new = crate::helpers::new_project(request_id);
    new.community_ids = communities.iter().map(|c| (*c).to_owned()).collect();
    app.client.create_project(new).await.unwrap().into_inner()
}

/// A project of `communities`, published and claimed by `org`.
async fn claimed_in(app: &mut TestApp, request_id: &str, communities: &[&str]) -> pb::Project {
    let draft = project_in(app, request_id, communities).await;
    publish(app, &draft).await;
    app.client
        .claim_project(claim(&draft.id, "org-a"))
        .await
        .unwrap()
        .into_inner()
}

async fn publish(app: &mut TestApp, draft: &pb::Project) -> pb::Project {
    let publish = pb::TransitionRequest {
        id: draft.id.clone(),
        version: draft.version,
    };
    app.client
        .publish_project(publish)
        .await
        .unwrap()
        .into_inner()
}

fn visit_in(request_id: &str, project_id: &str, community: &str) -> pb::RecordVisitRequest {
    pb::RecordVisitRequest {
        community_id: community.into(),
        ..visit(request_id, project_id)
    }
}

fn ids<'a, T>(items: &'a [T], id: impl Fn(&'a T) -> &'a str) -> Vec<&'a str> {
    items.iter().map(id).collect()
}

fn not_found<T: std::fmt::Debug>(answer: Result<T, Status>) {
    let status = answer.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn a_caller_limited_to_a_township_reads_and_changes_only_projects_located_there() {
    let mut app = spawn_app().await;
    directory(&app).await;
    townships(&app).await;
    // Located in A through one of its communities, whoever leads it.
    let ours = claimed_in(&mut app, "ours", &["b-01", "a-01"]).await;
    let theirs = claimed_in(&mut app, "theirs", &["b-01"]).await;
    let nowhere = claimed_in(&mut app, "nowhere", &["nowhere-01"]).await;
    let draft_a = project_in(&mut app, "draft-a", &["a-02"]).await;
    let draft_b = project_in(&mut app, "draft-b", &["b-01"]).await;
    // The open library is open to all, township callers too, wherever it is located.
    let open = project_in(&mut app, "open", &["b-01"]).await;
    let open = publish(&mut app, &open).await;
    for (key, project) in [("v-theirs", &theirs), ("v-nowhere", &nowhere)] {
        app.client
            .record_visit(visit_in(key, &project.id, "a-01"))
            .await
            .unwrap();
    }
    let mut clerk = township_clerk(&app).await;

    // Reads by id: outside answers as a missing id does.
    let missing = uuid::Uuid::now_v7().to_string();
    for id in [&theirs.id, &nowhere.id, &draft_b.id, &missing] {
        let get = pb::GetProjectRequest { id: id.clone() };
        not_found(clerk.get_project(get.clone()).await);
        not_found(clerk.trace_project(get).await);
        not_found(
            clerk
                .list_project_history(pb::ListProjectHistoryRequest {
                    project_id: id.clone(),
                    page: None,
                })
                .await,
        );
    }
    for id in [&ours.id, &draft_a.id, &open.id] {
        clerk
            .get_project(pb::GetProjectRequest { id: id.clone() })
            .await
            .unwrap();
    }

    // Writes by id: inside they work, outside they are refused as for a missing id.
    clerk
        .record_visit(visit_in("v-ours", &ours.id, "a-01"))
        .await
        .unwrap();
    let started = clerk
        .start_project(pb::TransitionRequest {
            id: ours.id.clone(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.status, pb::ProjectStatus::InProgress as i32);
    for project in [&theirs, &nowhere] {
        let start = pb::TransitionRequest {
            id: project.id.clone(),
            version: 0,
        };
        not_found(clerk.start_project(start).await);
        not_found(
            clerk
                .record_visit(visit_in("v-sneak", &project.id, "a-01"))
                .await,
        );
        not_found(
            clerk
                .add_progress_update(pb::AddProgressUpdateRequest {
                    request_id: format!("u-{}", project.id),
                    project_id: project.id.clone(),
                    text: "we were here".into(),
                    milestone: false,
                })
                .await,
        );
    }
    let publish_b = pb::TransitionRequest {
        id: draft_b.id.clone(),
        version: 0,
    };
    not_found(clerk.publish_project(publish_b).await);

    // Creating, or moving a project, outside the township is refused.
    for communities in [vec!["b-01"], vec!["nowhere-01"]] {
        let mut new = crate::helpers::new_project("outside");
        new.community_ids = communities.iter().map(|c| (*c).to_string()).collect();
        denied(
            &clerk.create_project(new).await.unwrap_err(),
            "OUTSIDE_BOUNDARY",
        );
    }
    let mut new = crate::helpers::new_project("inside");
    new.community_ids = vec!["a-02".into()];
    let created = clerk.create_project(new).await.unwrap().into_inner();
    let move_out = pb::UpdateProjectRequest {
        id: draft_a.id.clone(),
        version: draft_a.version,
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["community_ids".into()],
        }),
        values: Some(pb::CreateProjectRequest {
            community_ids: vec!["b-01".into()],
            ..Default::default()
        }),
    };
    denied(
        &clerk.update_project(move_out).await.unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );

    // Lists and figures hold only what is located in A, and the open library.
    let listed = clerk
        .list_projects(pb::ListProjectsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .projects;
    assert_eq!(
        ids(&listed, |p| &p.id),
        [&created.id, &open.id, &draft_a.id, &ours.id].map(String::as_str)
    );
    let visits = clerk
        .list_visits(pb::ListVisitsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .visits;
    assert_eq!(ids(&visits, |v| &v.project_id), [ours.id.as_str()]);
    let stats = clerk
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.total, stats.visits, stats.person_times), (4, 1, 12));
    let by_community: Vec<(String, i64)> = stats
        .by_community
        .into_iter()
        .map(|c| (c.key, c.count))
        .collect();
    assert_eq!(
        by_community,
        [("a-02".into(), 2), ("b-01".into(), 2), ("a-01".into(), 1)]
    );
    let summary = clerk
        .get_community_summary(pb::GetCommunitySummaryRequest {
            community_id: "a-01".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((summary.projects, summary.visits), (1, 1));
    let everything = app
        .client
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((everything.total, everything.visits), (7, 3));

    // The open library can be read and claimed from anywhere, not changed; once led, a
    // project located in B is out of A's sight.
    let cancel = pb::CancelProjectRequest {
        id: open.id.clone(),
        version: 0,
        reason: "not wanted here".into(),
    };
    denied(
        &clerk.cancel_project(cancel).await.unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );
    clerk.claim_project(claim(&open.id, "org-a")).await.unwrap();
    not_found(
        clerk
            .get_project(pb::GetProjectRequest {
                id: open.id.clone(),
            })
            .await,
    );
    app.stop().await;
}

#[tokio::test]
async fn a_caller_limited_to_a_township_sees_needs_and_contracts_located_there_only() {
    let mut app = spawn_app().await;
    directory(&app).await;
    townships(&app).await;
    let ours = claimed_in(&mut app, "ours", &["a-01"]).await;
    let theirs = claimed_in(&mut app, "theirs", &["b-01"]).await;
    let submit = |request_id: &str, community: &str| pb::SubmitNeedRequest {
        request_id: request_id.into(),
        channel: pb::Channel::Online as i32,
        community_id: community.into(),
        description: "a ramp at the canteen door".into(),
        ..Default::default()
    };
    let need = |request_id: &'static str, community: &'static str| {
        let mut client = app.client.clone();
        async move {
            client
                .submit_need(submit(request_id, community))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let waiting_a = need("n-a", "a-01").await;
    let waiting_b = need("n-b", "b-01").await;
    let waiting_nowhere = need("n-nowhere", "nowhere-01").await;
    // A need in A that joined a project in B is located where its project is.
    let joined_b = need("n-joined-b", "a-01").await;
    let joined_a = need("n-joined-a", "b-01").await;
    for (n, project) in [(&joined_b, &theirs), (&joined_a, &ours)] {
        app.client
            .review_need(pb::ReviewNeedRequest {
                need_id: n.id.clone(),
                decision: Some(pb::review_need_request::Decision::Attach(pb::AttachNeed {
                    project_id: project.id.clone(),
                })),
            })
            .await
            .unwrap();
    }
    let sign = |request_id: &str, project: &str| pb::SignContractRequest {
        request_id: request_id.into(),
        provider_kind: pb::ProviderKind::Organisation as i32,
        provider_id: "org-a".into(),
        community_id: "a-01".into(),
        services: vec!["calligraphy class".into()],
        start_date: date(2026, 1, 1),
        end_date: date(2099, 12, 31),
        project_id: project.into(),
    };
    let theirs_contract = app
        .client
        .sign_contract(sign("k-theirs", &theirs.id))
        .await
        .unwrap()
        .into_inner();
    let unplaced_contract = app
        .client
        .sign_contract(sign("k-none", ""))
        .await
        .unwrap()
        .into_inner();
    let mut clerk = township_clerk(&app).await;

    // Needs: by id, by review, in lists and figures.
    for id in [&waiting_b.id, &waiting_nowhere.id, &joined_b.id] {
        not_found(clerk.get_need(pb::GetNeedRequest { id: id.clone() }).await);
        let decline = pb::ReviewNeedRequest {
            need_id: id.clone(),
            decision: Some(pb::review_need_request::Decision::Decline(
                pb::DeclineNeed {
                    reason: "not ours".into(),
                },
            )),
        };
        not_found(clerk.review_need(decline).await);
    }
    clerk
        .get_need(pb::GetNeedRequest {
            id: joined_a.id.clone(),
        })
        .await
        .unwrap();
    let accepted = clerk
        .review_need(pb::ReviewNeedRequest {
            need_id: waiting_a.id.clone(),
            decision: Some(pb::review_need_request::Decision::Accept(pb::AcceptNeed {
                title: "a ramp".into(),
                category: pb::Category::Convenience as i32,
            })),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.status, pb::NeedStatus::Accepted as i32);
    let listed = clerk
        .list_needs(pb::ListNeedsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .needs;
    assert_eq!(
        ids(&listed, |n| &n.id),
        [joined_a.id.as_str(), waiting_a.id.as_str()]
    );
    let stats = clerk
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    let online = stats
        .needs_by_channel
        .iter()
        .find(|c| c.key == "ONLINE")
        .map(|c| c.count);
    assert_eq!(online, Some(2));
    denied(
        &clerk
            .submit_need(submit("n-out", "b-01"))
            .await
            .unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );
    clerk.submit_need(submit("n-in", "a-02")).await.unwrap();
    let csv = "channel,community_id,description\nONLINE,a-02,a bench\nONLINE,b-01,a lamp\n";
    let chunks = vec![pb::ImportNeedsChunk {
        data: csv.as_bytes().to_vec(),
    }];
    let report = clerk
        .import_needs(futures_util::stream::iter(chunks))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.imported, 1);
    let lines: Vec<i64> = report.rejected.iter().map(|r| r.line).collect();
    assert_eq!(
        lines,
        [3],
        "the row of another township's community is refused"
    );

    // Contracts: located where their project is; without one, nowhere.
    let ours_contract = clerk
        .sign_contract(sign("k-ours", &ours.id))
        .await
        .unwrap()
        .into_inner();
    for id in [&theirs_contract.id, &unplaced_contract.id] {
        not_found(
            clerk
                .get_contract(pb::GetContractRequest { id: id.clone() })
                .await,
        );
        let terminate = pb::TerminateContractRequest {
            id: id.clone(),
            reason: "not ours to end".into(),
        };
        not_found(clerk.terminate_contract(terminate).await);
    }
    not_found(clerk.sign_contract(sign("k-sneak", &theirs.id)).await);
    denied(
        &clerk.sign_contract(sign("k-out", "")).await.unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );
    let listed = clerk
        .list_contracts(pb::ListContractsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .contracts;
    assert_eq!(ids(&listed, |c| &c.id), [ours_contract.id.as_str()]);
    let summary = clerk
        .get_community_summary(pb::GetCommunitySummaryRequest {
            community_id: "a-01".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((summary.projects, summary.active_contracts), (2, 1));
    app.stop().await;
}

#[tokio::test]
async fn visits_and_contracts_are_kept_by_the_lead_or_a_co_organiser() {
    let mut app = spawn_app().await;
    directory(&app).await;
    app.organisation("org-c", "").await;
    let project = app.claimed("kept", "org-a").await;
    app.client
        .add_co_organiser(pb::AddCoOrganiserRequest {
            id: project.id.clone(),
            organisation_id: "org-c".into(),
        })
        .await
        .unwrap();

    let mut co = app
        .client_as("c-clerk", &["activity_organiser@org-c"], Some("org-c"))
        .await;
    co.record_visit(visit("v-co", &project.id)).await.unwrap();
    // A co-organiser works on the project but does not decide its lead.
    let hand_over = pb::HandOverProjectRequest {
        id: project.id.clone(),
        organisation_id: "org-c".into(),
        reason: "we lead now".into(),
    };
    denied(
        &co.hand_over_project(hand_over).await.unwrap_err(),
        "ROLE_REQUIRED",
    );

    let mut outsider = app
        .client_as("b-clerk", &["activity_organiser@org-b"], None)
        .await;
    denied(
        &outsider
            .record_visit(visit("v-b", &project.id))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let sign = |request_id: &str, provider: &str| pb::SignContractRequest {
        request_id: request_id.into(),
        provider_kind: pb::ProviderKind::Organisation as i32,
        provider_id: provider.into(),
        community_id: "beiao-xiaoqu-01".into(),
        services: vec!["calligraphy class".into()],
        start_date: date(2026, 1, 1),
        end_date: date(2099, 12, 31),
        project_id: project.id.clone(),
    };
    denied(
        &outsider
            .sign_contract(sign("k-b", "org-b"))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let contract = co
        .sign_contract(sign("k-c", "org-c"))
        .await
        .unwrap()
        .into_inner();

    let mut b_limited = app
        .client_as("b-reader", &["auditor@org-b"], Some("org-b"))
        .await;
    let status = b_limited
        .get_contract(pb::GetContractRequest {
            id: contract.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let listed = b_limited
        .list_contracts(pb::ListContractsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .contracts;
    assert!(listed.is_empty(), "{listed:?}");
    let terminate = pb::TerminateContractRequest {
        id: contract.id.clone(),
        reason: "not ours to end".into(),
    };
    assert_eq!(
        b_limited
            .terminate_contract(terminate)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    app.stop().await;
}

#[tokio::test]
async fn needs_belong_to_the_project_they_became() {
    let mut app = spawn_app().await;
    directory(&app).await;
    let theirs = app.claimed("theirs", "org-b").await;
    let submit = |request_id: &str| pb::SubmitNeedRequest {
        request_id: request_id.into(),
        channel: pb::Channel::Online as i32,
        community_id: "beiao-xiaoqu-01".into(),
        description: "a ramp at the canteen door".into(),
        ..Default::default()
    };
    let attached = app
        .client
        .submit_need(submit("n-1"))
        .await
        .unwrap()
        .into_inner();
    app.client
        .review_need(pb::ReviewNeedRequest {
            need_id: attached.id.clone(),
            decision: Some(pb::review_need_request::Decision::Attach(pb::AttachNeed {
                project_id: theirs.id.clone(),
            })),
        })
        .await
        .unwrap();
    let waiting = app
        .client
        .submit_need(submit("n-2"))
        .await
        .unwrap()
        .into_inner();

    let mut a_clerk = app
        .client_as("a-clerk", &["organisation_admin@org-a"], Some("org-a"))
        .await;
    for id in [&attached.id, &waiting.id] {
        let status = a_clerk
            .get_need(pb::GetNeedRequest { id: id.clone() })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
    let decline = pb::ReviewNeedRequest {
        need_id: waiting.id.clone(),
        decision: Some(pb::review_need_request::Decision::Decline(
            pb::DeclineNeed {
                reason: "not ours".into(),
            },
        )),
    };
    assert_eq!(
        a_clerk.review_need(decline).await.unwrap_err().code(),
        Code::NotFound
    );
    let listed = a_clerk
        .list_needs(pb::ListNeedsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .needs;
    assert!(listed.is_empty(), "{listed:?}");

    let mut b_clerk = app
        .client_as("b-clerk", &["organisation_admin@org-b"], Some("org-b"))
        .await;
    let listed = b_clerk
        .list_needs(pb::ListNeedsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .needs;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, attached.id);
    app.stop().await;
}
