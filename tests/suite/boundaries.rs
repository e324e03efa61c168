//! The boundaries matrix (issue 16), through the gateway on PostgreSQL: principals limited
//! to organisation A, to organisation B, to A while holding their roles over B, and to
//! township A, against one record of each service owned by (and located at) A and one by
//! B. For each: reads by id, lists, figures and exports show what lies inside and answer
//! NOT_FOUND outside; a write family of each service is allowed inside with the role,
//! PERMISSION_DENIED inside without it, and NOT_FOUND outside.

use std::collections::BTreeSet;

use prost_types::Timestamp;
use tonic::{Code, Status};
use xingfu::Service;
use xingfu_platform::db::Database;
use xingfu_proto::funds as fpb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::gateway as gw;
use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
use xingfu_proto::projects as ppb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_proto::workshops as wpb;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_testkit::{Channel, TestEnv, eventually, holds};
use xingfu_volunteers::domain::register::check_character;

use crate::helpers::gateway;

/// The two organisations, their communities and the communities' townships.
const ORGS: [&str; 2] = ["beiao-party", "dongping-party"];
const COMMUNITIES: [&str; 2] = ["beiao-xiaoqu", "dongping-xiaoqu"];
const TOWNSHIPS: [&str; 2] = ["北岙街道", "东屏街道"];
/// The roles every matrix person holds (over an organisation, or programme-wide).
const ROLES: [&str; 4] = [
    "organisation_admin",
    "activity_organiser",
    "grant_requester",
    "problem_handler",
];
/// An activity start in the past.
const START: i64 = 1_795_000_000;

/// The records of side A (0) and side B (1).
#[derive(Default)]
struct World {
    projects: [String; 2],
    activities: [String; 2],
    volunteers: [String; 2],
    funds: [String; 2],
    workshops: [String; 2],
    problems: [String; 2],
}

/// Which service a record belongs to (funds are located nowhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Projects,
    Volunteers,
    Funds,
    Workshops,
}

/// A matrix person: its boundary and where its roles hold.
struct Person {
    id: &'static str,
    /// Limited to `ORGS[i]`, or to `TOWNSHIPS[i]` when `township`.
    limited_to: usize,
    township: bool,
    /// Its roles hold over `ORGS[i]`; `None`: programme-wide.
    roles_at: Option<usize>,
    channel: Option<Channel>,
}

impl Person {
    fn sees(&self, family: Family, side: usize) -> bool {
        side == self.limited_to && !(self.township && family == Family::Funds)
    }

    fn acts(&self, side: usize) -> bool {
        self.roles_at.is_none_or(|at| at == side)
    }

    /// What a write by this person on side `side`'s record of `family` must come to.
    fn expected(&self, family: Family, side: usize) -> Seen {
        if !self.sees(family, side) {
            Seen::Hidden
        } else if !self.acts(side) {
            Seen::Denied
        } else {
            Seen::Allowed
        }
    }

    fn channel(&self) -> Channel {
        self.channel.clone().expect("registered")
    }
}

/// How a call came out, as the matrix sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Done, or refused for a reason of the domain (already done, not yet possible).
    Allowed,
    /// NOT_FOUND, as for a missing id.
    Hidden,
    /// PERMISSION_DENIED.
    Denied,
}

fn seen<T>(result: Result<T, Status>, what: &str) -> Seen {
    match result {
        Ok(_) => Seen::Allowed,
        Err(status) => match status.code() {
            Code::NotFound => Seen::Hidden,
            Code::PermissionDenied => Seen::Denied,
            Code::FailedPrecondition | Code::AlreadyExists => Seen::Allowed,
            _ => panic!("{what}: unexpected {status:?}"),
        },
    }
}

fn id_number(n: usize) -> String {
    let first17 = format!("33032219900101{n:03}");
    let check = check_character(&first17).unwrap();
    format!("{first17}{check}")
}

/// Registers the directory and one record per service on each side, as the programme
/// office (the test admin).
async fn world(channel: Channel) -> World {
    let mut world = World::default();
    let mut volunteers = VolunteersServiceClient::new(channel.clone());
    for side in 0..2 {
        volunteers
            .register_organisation(vpb::RegisterOrganisationRequest {
                id: ORGS[side].into(),
                name: format!("{} 党组织", TOWNSHIPS[side]),
                kind: vpb::OrganisationKind::CommunityParty as i32,
                parent_id: String::new(),
            })
            .await
            .unwrap();
        volunteers
            .register_community(vpb::RegisterCommunityRequest {
                id: COMMUNITIES[side].into(),
                name: format!("{} 小区", TOWNSHIPS[side]),
                kind: vpb::CommunityKind::Residential as i32,
                township: TOWNSHIPS[side].into(),
            })
            .await
            .unwrap();
        volunteers
            .link_community(vpb::CommunityLinkRequest {
                organisation_id: ORGS[side].into(),
                community_id: COMMUNITIES[side].into(),
            })
            .await
            .unwrap();
        world.volunteers[side] = volunteers
            .register_volunteer(vpb::RegisterVolunteerRequest {
                request_id: format!("matrix-volunteer-{side}"),
                name: format!("林{side}"),
                phone: format!("1390000{side:04}"),
                id_number: id_number(side),
                party_member: true,
                work_organisation_id: ORGS[side].into(),
                home_community_id: COMMUNITIES[side].into(),
                skills: vec!["送餐".into()],
            })
            .await
            .unwrap()
            .into_inner()
            .id;
        world.activities[side] = volunteers
            .create_activity(vpb::CreateActivityRequest {
                request_id: format!("matrix-activity-{side}"),
                title: "集体生日会".into(),
                kind: vpb::ActivityKind::CollectiveBirthday as i32,
                community_id: COMMUNITIES[side].into(),
                project_id: String::new(),
                start_time: Some(Timestamp {
                    seconds: START,
                    nanos: 0,
                }),
                capacity: 10,
                organisation_id: ORGS[side].into(),
                co_organiser_ids: Vec::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .id;
    }

    let mut projects = ProjectsServiceClient::new(channel.clone());
    for side in 0..2 {
        let project = projects
            .create_project(ppb::CreateProjectRequest {
                request_id: format!("matrix-project-{side}"),
                title: "幸福敲门 · 老年食堂送餐".into(),
                category: ppb::Category::Convenience as i32,
                community_ids: vec![COMMUNITIES[side].into()],
                description: "送餐上门".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        projects
            .publish_project(ppb::TransitionRequest {
                id: project.id.clone(),
                version: 0,
            })
            .await
            .unwrap();
        projects
            .claim_project(ppb::ClaimProjectRequest {
                id: project.id.clone(),
                organisation_id: ORGS[side].into(),
            })
            .await
            .unwrap();
        world.projects[side] = project.id;
    }

    let mut funds = FundsServiceClient::new(channel.clone());
    for side in 0..2 {
        world.funds[side] = funds
            .create_fund(fpb::CreateFundRequest {
                request_id: format!("matrix-fund-{side}"),
                name: format!("{} 爱心资金", TOWNSHIPS[side]),
                purpose: fpb::Purpose::General as i32,
                organisation_id: ORGS[side].into(),
            })
            .await
            .unwrap()
            .into_inner()
            .id;
    }

    let mut workshops = WorkshopsServiceClient::new(channel);
    workshops
        .register_brand(wpb::RegisterBrandRequest {
            id: "matrix-fish".into(),
            name: "渔家厨娘".into(),
            department_id: ORGS[0].into(),
            description: String::new(),
        })
        .await
        .unwrap();
    for side in 0..2 {
        world.workshops[side] = workshops
            .create_workshop(wpb::CreateWorkshopRequest {
                request_id: format!("matrix-workshop-{side}"),
                name: format!("{} 共富工坊", TOWNSHIPS[side]),
                community_id: COMMUNITIES[side].into(),
                host_firm: "洞头海产有限公司".into(),
                department_id: ORGS[side].into(),
                mode: wpb::Mode::Processing as i32,
                brand_id: "matrix-fish".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .id;
        world.problems[side] = workshops
            .raise_problem(wpb::RaiseProblemRequest {
                request_id: format!("matrix-problem-{side}"),
                workshop_id: world.workshops[side].clone(),
                category: wpb::ProblemCategory::Construction as i32,
                description: "冷库施工进度滞后".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .id;
    }
    world
}

/// Registers `person` with its boundary and roles, and gives it a key.
async fn register(
    admin: &mut GatewayServiceClient<Channel>,
    gateway_addr: std::net::SocketAddr,
    person: &mut Person,
) {
    let (organisation_id, township) = if person.township {
        (String::new(), TOWNSHIPS[person.limited_to].to_owned())
    } else {
        (ORGS[person.limited_to].to_owned(), String::new())
    };
    admin
        .register_principal(gw::RegisterPrincipalRequest {
            id: person.id.into(),
            kind: gw::PrincipalKind::Person as i32,
            display_name: person.id.into(),
            organisation_id,
            township,
            ..Default::default()
        })
        .await
        .unwrap();
    for role in ROLES {
        admin
            .grant_role(gw::RoleRequest {
                principal_id: person.id.into(),
                role: role.into(),
                organisation_id: person
                    .roles_at
                    .map(|at| ORGS[at].to_owned())
                    .unwrap_or_default(),
            })
            .await
            .unwrap();
    }
    let key = admin
        .issue_api_key(gw::IssueApiKeyRequest {
            key_id: format!("{}-key", person.id),
            principal_id: person.id.into(),
            not_after: None,
        })
        .await
        .unwrap()
        .into_inner();
    person.channel = Some(xingfu_testkit::channel_with_key(gateway_addr, &key.api_key).await);
}

/// Waits until `service`'s read model of the directory knows every matrix community.
async fn communities_known(env: &TestEnv, service: Service) {
    let db = Database::open(&env.settings, service).await.unwrap();
    eventually(
        &format!("{service} to know the directory's communities"),
        || async {
            let known: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM known_communities WHERE community_id IN ($1, $2)",
            )
            .bind(COMMUNITIES[0])
            .bind(COMMUNITIES[1])
            .fetch_one(db.pool())
            .await
            .unwrap();
            holds(known == 2)
        },
    )
    .await;
    db.close().await;
}

/// Which of `ours` (side A's and B's ids) a list showed.
fn shown(listed: &[String], ours: &[String; 2]) -> Vec<usize> {
    (0..2)
        .filter(|side| listed.contains(&ours[*side]))
        .collect()
}

#[tokio::test]
async fn every_service_holds_each_boundary_for_reads_lists_figures_and_writes() {
    let env = TestEnv::postgres();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway_addr = suite.addr(xingfu_gateway::NAME).unwrap();
    let world = world(gateway(&suite).await).await;
    for service in [xingfu_projects::NAME, xingfu_workshops::NAME] {
        communities_known(&env, service).await;
    }
    let mut admin = GatewayServiceClient::new(gateway(&suite).await);
    let mut people = [
        Person {
            id: "a-staff",
            limited_to: 0,
            township: false,
            roles_at: Some(0),
            channel: None,
        },
        Person {
            id: "b-staff",
            limited_to: 1,
            township: false,
            roles_at: Some(1),
            channel: None,
        },
        Person {
            id: "a-onlooker",
            limited_to: 0,
            township: false,
            roles_at: Some(1),
            channel: None,
        },
        Person {
            id: "beiao-town",
            limited_to: 0,
            township: true,
            roles_at: None,
            channel: None,
        },
    ];
    for person in &mut people {
        register(&mut admin, gateway_addr, person).await;
    }

    for person in &people {
        let who = person.id;
        let inside =
            |family| -> Vec<usize> { (0..2).filter(|side| person.sees(family, *side)).collect() };
        let mut projects = ProjectsServiceClient::new(person.channel());
        let mut volunteers = VolunteersServiceClient::new(person.channel());
        let mut funds = FundsServiceClient::new(person.channel());
        let mut workshops = WorkshopsServiceClient::new(person.channel());

        // Lists and figures show what lies inside, and only that.
        let listed: Vec<String> = projects
            .list_projects(ppb::ListProjectsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .projects
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(
            shown(&listed, &world.projects),
            inside(Family::Projects),
            "{who}: projects"
        );
        let stats = projects
            .get_project_stats(ppb::GetProjectStatsRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            stats.total,
            inside(Family::Projects).len() as i64,
            "{who}: project stats"
        );
        let listed: Vec<String> = volunteers
            .list_activities(vpb::ListActivitiesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .activities
            .into_iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(
            shown(&listed, &world.activities),
            inside(Family::Volunteers),
            "{who}: activities"
        );
        let listed: Vec<String> = funds
            .list_funds(fpb::ListFundsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .funds
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(
            shown(&listed, &world.funds),
            inside(Family::Funds),
            "{who}: funds"
        );
        let listed: Vec<String> = workshops
            .list_workshops(wpb::ListWorkshopsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .workshops
            .into_iter()
            .map(|w| w.id)
            .collect();
        assert_eq!(
            shown(&listed, &world.workshops),
            inside(Family::Workshops),
            "{who}: workshops"
        );

        for side in 0..2 {
            // Reads by id and exports: inside, or NOT_FOUND as for a missing id.
            let read = |family| {
                if person.sees(family, side) {
                    Seen::Allowed
                } else {
                    Seen::Hidden
                }
            };
            // An id in another spelling (upper case) is the same id, held the same way.
            let spellings: [fn(&str) -> String; 2] = [str::to_owned, str::to_uppercase];
            for spell in spellings {
                let got = projects
                    .get_project(ppb::GetProjectRequest {
                        id: spell(&world.projects[side]),
                    })
                    .await;
                assert_eq!(
                    seen(got, who),
                    read(Family::Projects),
                    "{who}: project {side}"
                );
                let got = volunteers
                    .get_activity(vpb::GetActivityRequest {
                        id: spell(&world.activities[side]),
                    })
                    .await;
                assert_eq!(
                    seen(got, who),
                    read(Family::Volunteers),
                    "{who}: activity {side}"
                );
                let got = volunteers
                    .get_volunteer(vpb::GetVolunteerRequest {
                        id: spell(&world.volunteers[side]),
                    })
                    .await;
                assert_eq!(
                    seen(got, who),
                    read(Family::Volunteers),
                    "{who}: volunteer {side}"
                );
                let got = volunteers
                    .export_service_record(vpb::ExportServiceRecordRequest {
                        volunteer_id: spell(&world.volunteers[side]),
                        format: vpb::ExportFormat::Csv as i32,
                    })
                    .await;
                assert_eq!(
                    seen(got, who),
                    read(Family::Volunteers),
                    "{who}: export {side}"
                );
                let got = funds
                    .get_fund(fpb::GetFundRequest {
                        id: spell(&world.funds[side]),
                    })
                    .await;
                assert_eq!(seen(got, who), read(Family::Funds), "{who}: fund {side}");
                let got = workshops
                    .get_workshop(wpb::GetWorkshopRequest {
                        id: spell(&world.workshops[side]),
                    })
                    .await;
                assert_eq!(
                    seen(got, who),
                    read(Family::Workshops),
                    "{who}: workshop {side}"
                );
            }

            // One write family of each service: allowed inside with the role, refused
            // inside without it, NOT_FOUND outside.
            let wrote = projects
                .add_progress_update(ppb::AddProgressUpdateRequest {
                    request_id: format!("{who}-progress-{side}"),
                    project_id: world.projects[side].clone(),
                    text: "第一批餐食已送达".into(),
                    milestone: false,
                })
                .await;
            assert_eq!(
                seen(wrote, who),
                person.expected(Family::Projects, side),
                "{who}: progress on project {side}"
            );
            let wrote = volunteers
                .complete_activity(vpb::CompleteActivityRequest {
                    activity_id: world.activities[side].clone(),
                    people_served: 12,
                })
                .await;
            assert_eq!(
                seen(wrote, who),
                person.expected(Family::Volunteers, side),
                "{who}: completing activity {side}"
            );
            let wrote = funds
                .request_grant(fpb::RequestGrantRequest {
                    request_id: format!("{who}-grant-{side}"),
                    fund_id: world.funds[side].clone(),
                    kind: fpb::GrantKind::ChildSupport as i32,
                    beneficiary_ref: format!("case-{side}"),
                    amount_fen: 100_000,
                    ..Default::default()
                })
                .await;
            assert_eq!(
                seen(wrote, who),
                person.expected(Family::Funds, side),
                "{who}: grant from fund {side}"
            );
            let wrote = workshops
                .assign_problem(wpb::AssignProblemRequest {
                    problem_id: world.problems[side].clone(),
                    volunteer_id: world.volunteers[side].clone(),
                })
                .await;
            assert_eq!(
                seen(wrote, who),
                person.expected(Family::Workshops, side),
                "{who}: assigning workshop {side}'s problem"
            );
        }
    }

    // Nothing a refused or hidden write tried was kept: each grant request that was
    // allowed is there, and no other.
    let mut programme = FundsServiceClient::new(gateway(&suite).await);
    let requested: BTreeSet<String> = programme
        .list_grants(fpb::ListGrantsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .grants
        .into_iter()
        .map(|g| g.requested_by)
        .collect();
    assert_eq!(
        requested,
        BTreeSet::from(["a-staff".to_owned(), "b-staff".to_owned()])
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
