//! The district's programme as demo data: a Dongtou-like district — townships, villages
//! and residential communities, Party organisations, the shared project library,
//! volunteers and what they do, charity funds and their grants, common-prosperity
//! workshops and their workers — loaded through the gateway's public API, so loading
//! exercises it. The overview then shows the figures of the source article ([`FIGURES`]).
//!
//! Everything is generated from a seed (same seed, same data) with invented names; every
//! call carries an idempotency key or is a transition a second run finds done, so loading
//! twice changes nothing.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures_util::{StreamExt as _, TryStreamExt as _};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Response, Status};
use tonic_types::StatusExt as _;
use xingfu_proto::common::Date;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_proto::{funds, projects, volunteers, workshops};

/// The figures of the source article the demo reproduces (see `shared/domain.md`).
pub struct Figures {
    /// Projects in the shared library.
    pub projects: i64,
    /// Agency Party organisations.
    pub agency_party_organisations: i64,
    /// Village and community Party organisations.
    pub village_party_organisations: i64,
    /// Micro-wishes adopted.
    pub wishes_adopted: i64,
    /// Study corners renovated.
    pub study_corners: i64,
    /// Money raised, fen.
    pub raised_fen: i64,
    /// Children in hardship funded.
    pub children_funded: i64,
    /// People at the collective birthday.
    pub collective_birthday: i64,
    /// Meal person-times, at least.
    pub meals_served_min: i64,
    /// Red Sunday events, at least.
    pub red_sunday_events_min: i64,
    /// Elderly at Red Sunday events, at least.
    pub red_sunday_elderly_min: i64,
    /// Workshop brands.
    pub brands: i64,
    /// Workshop modes.
    pub modes: i64,
    /// Commissioners.
    pub commissioners: i64,
    /// Workers, at least.
    pub workers_min: i64,
    /// Average monthly income rise, fen, at least.
    pub uplift_min_fen: i64,
    /// Problems resolved.
    pub problems_resolved: i64,
    /// The ex-fisherman's annual income, fen, at least.
    pub fisherman_annual_min_fen: i64,
}

/// The article's figures.
pub const FIGURES: Figures = Figures {
    projects: 433,
    agency_party_organisations: 218,
    village_party_organisations: 83,
    wishes_adopted: 49,
    study_corners: 75,
    raised_fen: 31_200_000,
    children_funded: 297,
    collective_birthday: 40,
    meals_served_min: 8_000,
    red_sunday_events_min: 50,
    red_sunday_elderly_min: 2_000,
    brands: 10,
    modes: 4,
    commissioners: 108,
    workers_min: 2_000,
    uplift_min_fen: 250_000,
    problems_resolved: 56,
    fisherman_annual_min_fen: 9_000_000,
};

/// The default seed.
pub const DEFAULT_SEED: u64 = 20_261_129;

/// Calls in flight at once while loading.
const PARALLEL: usize = 16;

/// Adds the loader's API key to every call.
#[derive(Clone, Debug)]
pub struct ApiKey(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl ApiKey {
    /// The key `<id>.<secret>`.
    pub fn new(key: &str) -> anyhow::Result<Self> {
        Ok(Self(
            key.trim()
                .parse()
                .context("the API key is not valid metadata")?,
        ))
    }
}

impl Interceptor for ApiKey {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        request.metadata_mut().insert("x-api-key", self.0.clone());
        Ok(request)
    }
}

/// A channel to the gateway, as the loader calls it.
pub type Link = InterceptedService<Channel, ApiKey>;

/// What a load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// Calls made.
    pub calls: u64,
}

/// A deterministic generator (SplitMix64): the same seed gives the same district.
#[derive(Debug, Clone)]
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).unwrap_or(1).max(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        let i = usize::try_from(self.next() % items.len() as u64).unwrap_or(0);
        items[i]
    }
}

const SURNAMES: &[&str] = &[
    "陈", "林", "王", "张", "李", "黄", "吴", "郑", "周", "叶", "杨", "徐", "朱", "胡", "洪", "蔡",
    "潘", "谢", "方", "邱",
];
const GIVEN: &[&str] = &[
    "海燕", "建国", "晓东", "丽华", "志强", "春梅", "永福", "美玲", "国平", "秀英", "文斌", "海波",
    "静怡", "德明", "小芳", "振华", "雪莲", "宏伟", "亚男", "明辉",
];
const TOWNSHIPS: &[(&str, &str)] = &[
    ("beiao", "北岙街道"),
    ("dongping", "东屏街道"),
    ("yuanjue", "元觉街道"),
    ("niyu", "霓屿街道"),
    ("lingkun", "灵昆街道"),
    ("damen", "大门镇"),
    ("luxi", "鹿西乡"),
];
const PLACE_FIRST: &[&str] = &["东", "西", "南", "北", "大", "小", "中", "后", "前", "海"];
const PLACE_SECOND: &[&str] = &["岙", "沙", "屿", "湾", "岩", "坑", "埠", "港", "山", "头"];
const DEPARTMENTS: &[&str] = &[
    "教育局",
    "民政局",
    "卫生健康局",
    "农业农村局",
    "文化和广电旅游体育局",
    "交通运输局",
    "住房和城乡建设局",
    "人力资源和社会保障局",
    "财政局",
    "商务局",
    "海洋与渔业局",
    "自然资源和规划局",
    "生态环境分局",
    "应急管理局",
    "市场监督管理局",
    "统计局",
    "司法局",
    "退役军人事务局",
    "医疗保障局",
    "综合行政执法局",
    "团区委",
    "区妇联",
];
const CATEGORIES: [(projects::Category, usize); 7] = [
    (projects::Category::Convenience, 78),
    (projects::Category::PairedAssistance, 64),
    (projects::Category::Transport, 52),
    (projects::Category::Infrastructure, 71),
    (projects::Category::CommunityActivity, 69),
    (projects::Category::PublicService, 55),
    (projects::Category::Environment, 44),
];
const BRANDS: [(&str, &str, workshops::Mode); 10] = [
    ("two-veg-one-fish", "两菜一鱼", workshops::Mode::Processing),
    ("sea-stay", "洞头海宿", workshops::Mode::AgriTourism),
    (
        "hundred-island-craft",
        "百岛文创",
        workshops::Mode::Processing,
    ),
    ("fisher-cooks", "渔家厨娘", workshops::Mode::AgriTourism),
    ("island-live", "海岛直播间", workshops::Mode::LiveCommerce),
    ("yellow-croaker", "大黄鱼工坊", workshops::Mode::Processing),
    ("seaweed-valley", "羊栖菜谷", workshops::Mode::LiveCommerce),
    ("port-jobs", "港口就业驿站", workshops::Mode::Recruitment),
    ("net-menders", "补网巧手", workshops::Mode::Recruitment),
    ("shell-art", "贝雕小铺", workshops::Mode::LiveCommerce),
];

/// Calls `client.method(request)` until it answers (see [`call`]).
macro_rules! call {
    ($client:ident . $method:ident ( $($request:tt)* )) => {{
        let request = $($request)*;
        call(|| {
            let mut client = $client.clone();
            let request = request.clone();
            async move { client.$method(request).await }
        })
        .await
    }};
}

/// Calls `client.method(request)`, a transition a second load finds done (see [`settle`]).
macro_rules! settle {
    ($client:ident . $method:ident ( $($request:tt)* )) => {{
        let request = $($request)*;
        settle(|| {
            let mut client = $client.clone();
            let request = request.clone();
            async move { client.$method(request).await }
        })
        .await
    }};
}

/// Loads the district through `channel` (to the gateway) as the holder of `key`, an
/// admin's, and through the persons it registers.
pub async fn load(channel: Channel, key: &str, seed: u64) -> anyhow::Result<Loaded> {
    let link = InterceptedService::new(channel.clone(), ApiKey::new(key)?);
    let people = people(&channel, &link)
        .await
        .context("the demo's persons")?;
    let mut loader = Loader {
        link,
        people,
        dice: Dice(seed),
        calls: 0,
    };
    let directory = loader.directory().await.context("the directory")?;
    let volunteers = loader
        .volunteers(&directory)
        .await
        .context("the volunteers")?;
    loader
        .projects(&directory, &volunteers)
        .await
        .context("the projects")?;
    loader
        .activities(&directory, &volunteers)
        .await
        .context("the activities")?;
    loader.funds().await.context("the funds")?;
    loader
        .workshops(&directory, &volunteers)
        .await
        .context("the workshops")?;
    Ok(Loaded {
        calls: loader.calls,
    })
}

/// Calls `attempt` until it answers, waiting out rate limits and brief unavailability.
async fn call<T, F, Fut>(mut attempt: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response<T>, Status>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Ok(answer) => return Ok(answer.into_inner()),
            Err(status)
                if matches!(status.code(), Code::ResourceExhausted | Code::Unavailable)
                    && tries < 50 =>
            {
                tries += 1;
                let wait = status
                    .get_error_details()
                    .retry_info()
                    .and_then(|r| r.retry_delay)
                    .unwrap_or(Duration::from_millis(50));
                tokio::time::sleep(wait).await;
            }
            Err(status) => bail!("{:?}: {}", status.code(), status.message()),
        }
    }
}

/// As [`call`], for a transition a second load finds done (FAILED_PRECONDITION or
/// ALREADY_EXISTS then mean "done before").
async fn settle<T, F, Fut>(attempt: F) -> anyhow::Result<Option<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response<T>, Status>>,
{
    match call(attempt).await {
        Ok(answer) => Ok(Some(answer)),
        Err(err)
            if err.to_string().starts_with("FailedPrecondition")
                || err.to_string().starts_with("AlreadyExists") =>
        {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// Runs `work` over `items`, [`PARALLEL`] at a time.
async fn each<I, F, Fut, T>(items: Vec<I>, work: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    futures_util::stream::iter(items.into_iter().map(work))
        .buffered(PARALLEL)
        .try_collect()
        .await
}

struct Loader {
    link: Link,
    people: People,
    dice: Dice,
    calls: u64,
}

/// The persons the demo acts through, each with a key of its own and only its roles, so
/// the demo shows the programme's rules at work rather than one all-powerful key. The
/// admin's key (programme_admin) registers them and builds the directory and catalogue.
struct People {
    /// activity_organiser: runs the activities, checks volunteers in, verifies hours.
    organiser: Link,
    /// evaluator: rates volunteers for both sides.
    evaluator: Link,
    /// delegate: records the volunteers' own acts in bulk (wishes they adopted).
    importer: Link,
    /// grant_requester: asks for the grants.
    requester: Link,
    /// grant_approver: approves and pays them, never its own request.
    approver: Link,
    /// problem_handler: takes and resolves workshops' problems.
    handler: Link,
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
async fn people(channel: &Channel, admin: &Link) -> anyhow::Result<People> {
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

/// The directory as the loader made it.
struct Directory {
    /// (community id, its village/community Party organisation id, township name).
    communities: Vec<(String, String)>,
    /// Agency Party organisation ids; the first [`DEPARTMENTS`].len() are departments.
    agencies: Vec<String>,
}

impl Loader {
    fn volunteers_client(&self) -> VolunteersServiceClient<Link> {
        VolunteersServiceClient::new(self.link.clone())
    }

    fn name(&mut self) -> String {
        format!("{}{}", self.dice.pick(SURNAMES), self.dice.pick(GIVEN))
    }

    async fn directory(&mut self) -> anyhow::Result<Directory> {
        let client = self.volunteers_client();
        let mut orgs = Vec::new();
        let mut communities = Vec::new();
        // 83 villages and residential communities over seven townships, each with its
        // Party organisation (83 village/community Party organisations).
        for i in 0..FIGURES.village_party_organisations {
            let (slug, township) = TOWNSHIPS[usize::try_from(i).unwrap_or(0) % TOWNSHIPS.len()];
            let residential = i % 4 == 3;
            let place = format!(
                "{}{}",
                self.dice.pick(PLACE_FIRST),
                self.dice.pick(PLACE_SECOND)
            );
            let id = format!("{slug}-{i:02}");
            let (name, kind, org_kind, org_name) = if residential {
                (
                    format!("{place}社区"),
                    volunteers::CommunityKind::Residential,
                    volunteers::OrganisationKind::CommunityParty,
                    format!("{place}社区党委"),
                )
            } else {
                (
                    format!("{place}村"),
                    volunteers::CommunityKind::Village,
                    volunteers::OrganisationKind::VillageParty,
                    format!("{place}村党支部"),
                )
            };
            communities.push((id.clone(), format!("party-{id}"), name, kind, township));
            orgs.push((format!("party-{id}"), org_name, org_kind, String::new()));
        }
        // 218 agency Party organisations: the departments' Party committees and their
        // branches.
        let mut agencies = Vec::new();
        for (i, department) in DEPARTMENTS.iter().enumerate() {
            let id = format!("agency-{i:03}");
            orgs.push((
                id.clone(),
                format!("洞头区{department}机关党委"),
                volunteers::OrganisationKind::AgencyParty,
                String::new(),
            ));
            agencies.push(id);
        }
        let mut branch = 0;
        while agencies.len() < usize::try_from(FIGURES.agency_party_organisations).unwrap_or(0) {
            let parent = agencies[branch % DEPARTMENTS.len()].clone();
            let department = DEPARTMENTS[branch % DEPARTMENTS.len()];
            let id = format!("agency-{:03}", agencies.len());
            orgs.push((
                id.clone(),
                format!(
                    "洞头区{department}第{}党支部",
                    branch / DEPARTMENTS.len() + 1
                ),
                volunteers::OrganisationKind::AgencyParty,
                parent,
            ));
            agencies.push(id);
            branch += 1;
        }
        self.calls += u64::try_from(communities.len() + orgs.len()).unwrap_or(0);
        each(communities.clone(), |(id, _, name, kind, township)| {
            let client = client.clone();
            async move {
                call!(
                    client.register_community(volunteers::RegisterCommunityRequest {
                        id: id.clone(),
                        name: name.clone(),
                        kind: kind as i32,
                        township: township.to_owned(),
                    })
                )
            }
        })
        .await?;
        // Parents before children: the departments first, then everything else.
        let (parents, children): (Vec<_>, Vec<_>) = orgs
            .into_iter()
            .partition(|(_, _, _, parent)| parent.is_empty());
        for batch in [parents, children] {
            each(batch, |(id, name, kind, parent)| {
                let client = client.clone();
                async move {
                    call!(
                        client.register_organisation(volunteers::RegisterOrganisationRequest {
                            id: id.clone(),
                            name: name.clone(),
                            kind: kind as i32,
                            parent_id: parent.clone(),
                        })
                    )
                }
            })
            .await?;
        }
        Ok(Directory {
            communities: communities
                .into_iter()
                .map(|(id, org, ..)| (id, org))
                .collect(),
            agencies,
        })
    }

    /// 160 Party-member volunteers with a work side and a home side; returns their ids.
    async fn volunteers(&mut self, directory: &Directory) -> anyhow::Result<Vec<String>> {
        let client = self.volunteers_client();
        let mut people = Vec::new();
        for i in 0..160u32 {
            let name = self.name();
            let birth = format!(
                "19{:02}{:02}{:02}",
                self.dice.between(60, 99),
                self.dice.between(1, 12),
                self.dice.between(1, 28)
            );
            let first17 = format!("330305{birth}{:03}", i % 1000);
            let id_number = format!(
                "{first17}{}",
                xingfu_platform::pii::check_character(&first17).unwrap_or('0')
            );
            let work = directory.agencies
                [usize::try_from(self.dice.next() % directory.agencies.len() as u64).unwrap_or(0)]
            .clone();
            let home = directory.communities
                [usize::try_from(i).unwrap_or(0) % directory.communities.len()]
            .0
            .clone();
            people.push(volunteers::RegisterVolunteerRequest {
                request_id: format!("demo-volunteer-{i}"),
                name,
                phone: format!("139{:08}", 57_000_000 + i),
                id_number,
                party_member: true,
                work_organisation_id: work,
                home_community_id: home,
                skills: vec![
                    self.dice
                        .pick(&["书法", "助餐", "理发", "维修", "心理疏导", "法律咨询"])
                        .to_owned(),
                ],
            });
        }
        self.calls += 160;
        each(people, |request| {
            let client = client.clone();
            async move {
                let volunteer = call!(client.register_volunteer(request.clone()))?;
                Ok(volunteer.id)
            }
        })
        .await
    }

    async fn projects(
        &mut self,
        directory: &Directory,
        volunteers: &[String],
    ) -> anyhow::Result<()> {
        let client = ProjectsServiceClient::new(self.link.clone());
        let mut plans = Vec::new();
        for (category, count) in CATEGORIES {
            for n in 0..count {
                let community = directory.communities[usize::try_from(
                    self.dice.next() % directory.communities.len() as u64,
                )
                .unwrap_or(0)]
                .0
                .clone();
                let claimant = directory.agencies[usize::try_from(
                    self.dice.next() % directory.agencies.len() as u64,
                )
                .unwrap_or(0)]
                .clone();
                plans.push((category, n, community, claimant, plans.len()));
            }
        }
        self.calls += u64::try_from(plans.len() * 4).unwrap_or(0);
        let ids = each(plans, |(category, n, community, claimant, i)| {
            let client = client.clone();
            async move {
                let title = format!("{}项目 {}", category_label(category), n + 1);
                // A third of the library came from residents' needs, by all three channels.
                let id = if i % 3 == 0 {
                    let channel = [
                        projects::Channel::Visit,
                        projects::Channel::Survey,
                        projects::Channel::Online,
                    ][i % 9 / 3];
                    let need = call!(client.submit_need(projects::SubmitNeedRequest {
                        request_id: format!("demo-need-{i}"),
                        channel: channel as i32,
                        community_id: community.clone(),
                        description: format!("群众反映：希望解决{title}相关问题"),
                        suggested_category: category as i32,
                        contact: None,
                    }))?;
                    if need.project_id.is_empty() {
                        let reviewed = call!(client.review_need(projects::ReviewNeedRequest {
                            need_id: need.id.clone(),
                            decision: Some(projects::review_need_request::Decision::Accept(
                                projects::AcceptNeed {
                                    title: title.clone(),
                                    category: category as i32,
                                },
                            )),
                        }))?;
                        reviewed.project_id
                    } else {
                        need.project_id
                    }
                } else {
                    call!(client.create_project(projects::CreateProjectRequest {
                        request_id: format!("demo-project-{i}"),
                        title: title.clone(),
                        category: category as i32,
                        community_ids: vec![community.clone()],
                        ..Default::default()
                    }))?
                    .id
                };
                let transition = || projects::TransitionRequest {
                    id: id.clone(),
                    version: 0,
                };
                settle!(client.publish_project(transition()))?;
                // Most are claimed and led by an agency Party organisation (书记领办).
                if i % 5 != 4 {
                    settle!(client.claim_project(projects::ClaimProjectRequest {
                        id: id.clone(),
                        organisation_id: claimant.clone(),
                    }))?;
                }
                Ok((id, community, i))
            }
        })
        .await?;
        // Happiness knocks on the door: visits to the claimed projects' communities.
        let visits: Vec<_> = ids.iter().filter(|(_, _, i)| i % 5 == 1).cloned().collect();
        self.calls += u64::try_from(visits.len()).unwrap_or(0);
        let volunteers = volunteers.to_vec();
        each(visits, |(project, community, i)| {
            let client = client.clone();
            let volunteer = volunteers[i % volunteers.len()].clone();
            async move {
                call!(client.record_visit(projects::RecordVisitRequest {
                    request_id: format!("demo-visit-{i}"),
                    project_id: project.clone(),
                    community_id: community.clone(),
                    date: Some(Date {
                        year: 2026,
                        month: 10,
                        day: i32::try_from(i % 28 + 1).unwrap_or(1),
                    }),
                    kind: "幸福敲门".into(),
                    person_times: i64::try_from(i % 30 + 10).unwrap_or(10),
                    volunteer_ids: vec![volunteer.clone()],
                }))
            }
        })
        .await?;
        Ok(())
    }

    async fn activities(
        &mut self,
        directory: &Directory,
        volunteers: &[String],
    ) -> anyhow::Result<()> {
        let client = self.volunteers_client();
        let lamp = call!(client.form_team(volunteers::FormTeamRequest {
            request_id: "demo-team-lamp".into(),
            name: "小桔灯".into(),
            organisation_id: directory.agencies[0].clone(),
            skills: vec!["书法".into(), "非遗手工".into()],
        }))?;
        for volunteer in volunteers.iter().take(12) {
            call!(client.add_team_member(volunteers::TeamMemberRequest {
                team_id: lamp.id.clone(),
                volunteer_id: volunteer.clone(),
            }))?;
        }
        // The Little Orange Lamp's classroom in a residential compound, as a contract.
        let projects_client = ProjectsServiceClient::new(self.link.clone());
        let compound = directory.communities[3].0.clone();
        call!(
            projects_client.sign_contract(projects::SignContractRequest {
                request_id: "demo-contract-lamp".into(),
                provider_kind: projects::ProviderKind::Team as i32,
                provider_id: lamp.id.clone(),
                community_id: compound.clone(),
                services: vec!["共享幸福小课堂：书法".into(), "非遗手工".into()],
                start_date: Some(Date {
                    year: 2026,
                    month: 3,
                    day: 1
                }),
                end_date: Some(Date {
                    year: 2027,
                    month: 2,
                    day: 28
                }),
                project_id: String::new(),
            })
        )?;
        self.calls += 14;

        // 52 Red Sunday events (2,080 elderly), the 40-person collective birthday and the
        // other Four Ones, and meal service adding up to 8,200 person-times.
        let mut plans = Vec::new();
        for n in 0..52 {
            plans.push((
                volunteers::ActivityKind::RedSunday,
                format!("红色星期天 · 第{}期", n + 1),
                40,
            ));
        }
        plans.push((
            volunteers::ActivityKind::CollectiveBirthday,
            "老人集体生日会".into(),
            FIGURES.collective_birthday,
        ));
        plans.push((
            volunteers::ActivityKind::FestivalVisit,
            "重阳节走访慰问".into(),
            120,
        ));
        plans.push((
            volunteers::ActivityKind::CollectiveExchange,
            "老年人集体交流会".into(),
            60,
        ));
        plans.push((
            volunteers::ActivityKind::PracticalMatter,
            "为老人办实事：适老化改造".into(),
            25,
        ));
        let meal_kinds = [
            volunteers::ActivityKind::MealDonate,
            volunteers::ActivityKind::MealOrder,
            volunteers::ActivityKind::MealCook,
            volunteers::ActivityKind::MealDeliver,
        ];
        for n in 0..40 {
            plans.push((
                meal_kinds[n % 4],
                format!("十五分钟助餐圈 · 第{}周", n + 1),
                205,
            ));
        }
        let organiser = directory.agencies[1].clone();
        let plans: Vec<_> = plans
            .into_iter()
            .enumerate()
            .map(|(i, (kind, title, people))| {
                let community = directory.communities[i % directory.communities.len()]
                    .0
                    .clone();
                let helper = volunteers[i % volunteers.len()].clone();
                (i, kind, title, people, community, helper)
            })
            .collect();
        self.calls += u64::try_from(plans.len() * 6).unwrap_or(0);
        let run = VolunteersServiceClient::new(self.people.organiser.clone());
        each(plans, |(i, kind, title, people, community, helper)| {
            let client = client.clone();
            let run = run.clone();
            let organiser = organiser.clone();
            async move {
                let start = 1_790_000_000 + i64::try_from(i).unwrap_or(0) * 86_400;
                let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
                let activity = call!(client.create_activity(volunteers::CreateActivityRequest {
                    request_id: format!("demo-activity-{i}"),
                    title: title.clone(),
                    kind: kind as i32,
                    community_id: community.clone(),
                    project_id: String::new(),
                    start_time: at(start),
                    capacity: 20,
                    organisation_id: organiser.clone(),
                }))?;
                let check = |seconds| volunteers::CheckRequest {
                    activity_id: activity.id.clone(),
                    volunteer_id: helper.clone(),
                    time: at(seconds),
                };
                settle!(client.sign_up(volunteers::SignUpRequest {
                    activity_id: activity.id.clone(),
                    volunteer_id: helper.clone(),
                }))?;
                // The organiser checks the volunteer in and out, verifies the hours
                // (as itself: the verifier is the caller) and completes the activity.
                call!(run.check_in(check(start)))?;
                call!(run.check_out(check(start + 3 * 3600)))?;
                call!(run.verify_hours(volunteers::VerifyHoursRequest {
                    activity_id: activity.id.clone(),
                    verifier: String::new(),
                }))?;
                call!(run.complete_activity(volunteers::CompleteActivityRequest {
                    activity_id: activity.id.clone(),
                    people_served: people,
                }))
            }
        })
        .await?;

        // Two-place evaluation of 40 volunteers for the third quarter.
        let ratings: Vec<_> = volunteers
            .iter()
            .take(40)
            .enumerate()
            .flat_map(|(i, v)| {
                [
                    (
                        i,
                        v.clone(),
                        volunteers::EvaluationSide::Work,
                        4 + i32::from(i % 2 == 0),
                    ),
                    (i, v.clone(), volunteers::EvaluationSide::Home, 5),
                ]
            })
            .collect();
        self.calls += u64::try_from(ratings.len()).unwrap_or(0);
        let rater = VolunteersServiceClient::new(self.people.evaluator.clone());
        each(ratings, |(i, volunteer, side, score)| {
            let client = rater.clone();
            async move {
                call!(
                    client.record_evaluation(volunteers::RecordEvaluationRequest {
                        request_id: format!("demo-evaluation-{i}-{}", side as i32),
                        volunteer_id: volunteer.clone(),
                        period: "2026-Q3".into(),
                        side: side as i32,
                        score,
                        comment: String::new(),
                        evaluator: String::new(),
                    })
                )
            }
        })
        .await?;

        // The "little migratory birds'" 49 micro-wishes, adopted; 30 fulfilled.
        let wishes: Vec<_> = (0..FIGURES.wishes_adopted)
            .map(|i| {
                let i = usize::try_from(i).unwrap_or(0);
                (
                    i,
                    directory.communities[i % directory.communities.len()]
                        .0
                        .clone(),
                    volunteers[(i * 3) % volunteers.len()].clone(),
                )
            })
            .collect();
        self.calls += u64::try_from(wishes.len() * 3).unwrap_or(0);
        let importer = VolunteersServiceClient::new(self.people.importer.clone());
        each(wishes, |(i, community, adopter)| {
            let client = client.clone();
            let importer = importer.clone();
            async move {
                let wish = call!(
                    client.post_wish(volunteers::PostWishRequest {
                        request_id: format!("demo-wish-{i}"),
                        child_alias: format!(
                            "小{}",
                            ["宇", "鱼", "贝", "帆", "岛", "浪", "星"][i % 7]
                        ),
                        age_band: volunteers::AgeBand::AgeBand6To11 as i32,
                        community_id: community.clone(),
                        wish: [
                            "一套水彩笔",
                            "一个新书包",
                            "一本字典",
                            "一双运动鞋",
                            "一盏台灯"
                        ][i % 5]
                            .into(),
                    })
                )?;
                // Each volunteer adopted a wish; the importer records it on their behalf.
                call!(importer.adopt_wish(volunteers::AdoptWishRequest {
                    wish_id: wish.id.clone(),
                    volunteer_id: adopter.clone(),
                }))?;
                if i < 30 {
                    call!(importer.fulfil_wish(volunteers::FulfilWishRequest {
                        wish_id: wish.id.clone(),
                        note: "已送到孩子手中".into(),
                    }))?;
                }
                Ok(())
            }
        })
        .await?;
        Ok(())
    }

    async fn funds(&mut self) -> anyhow::Result<()> {
        let client = FundsServiceClient::new(self.link.clone());
        let child = call!(client.create_fund(funds::CreateFundRequest {
            request_id: "demo-fund-children".into(),
            name: "困难儿童助学金".into(),
            purpose: funds::Purpose::ChildSupport as i32,
            organisation_id: String::new(),
        }))?;
        let study = call!(client.create_fund(funds::CreateFundRequest {
            request_id: "demo-fund-study".into(),
            name: "温馨小书房".into(),
            purpose: funds::Purpose::StudyCorner as i32,
            organisation_id: String::new(),
        }))?;
        // 312,000 yuan raised from society: 120 donations, 190,000 yuan to the children's
        // fund and 122,000 yuan to the study corners'.
        let mut donations = Vec::new();
        for (fund, total, count, key) in [
            (&child.id, 19_000_000i64, 80i64, "c"),
            (&study.id, 12_200_000, 40, "s"),
        ] {
            let each_fen = total / count;
            for n in 0..count {
                let amount = if n == count - 1 {
                    total - each_fen * (count - 1)
                } else {
                    each_fen
                };
                let company = n % 4 == 0;
                donations.push((
                    format!("demo-donation-{key}-{n}"),
                    fund.clone(),
                    amount,
                    company,
                    n,
                ));
            }
        }
        self.calls += u64::try_from(donations.len()).unwrap_or(0) + 2;
        let donors = [
            "洞头海产有限公司",
            "百岛旅游集团",
            "温州渔业合作社",
            "爱心人士",
        ];
        each(donations, |(key, fund, amount, company, n)| {
            let client = client.clone();
            async move {
                call!(client.donate(funds::DonateRequest {
                    idempotency_key: key.clone(),
                    fund_id: fund.clone(),
                    donor_kind: if company {
                        funds::DonorKind::Company
                    } else {
                        funds::DonorKind::Anonymous
                    } as i32,
                    donor_name: if company {
                        donors[usize::try_from(n).unwrap_or(0) % 3].into()
                    } else {
                        String::new()
                    },
                    amount_fen: amount,
                    channel: funds::DonationChannel::BankTransfer as i32,
                    received_on: None,
                }))
            }
        })
        .await?;
        // Grants to 297 children (600 yuan each) and 75 study corners (1,500 yuan each).
        let requester = FundsServiceClient::new(self.people.requester.clone());
        let approver = FundsServiceClient::new(self.people.approver.clone());
        let mut grants = Vec::new();
        for n in 0..FIGURES.children_funded {
            grants.push((
                format!("demo-grant-child-{n}"),
                child.id.clone(),
                funds::GrantKind::ChildSupport,
                format!("case-{n:04}"),
                60_000i64,
            ));
        }
        for n in 0..FIGURES.study_corners {
            grants.push((
                format!("demo-grant-study-{n}"),
                study.id.clone(),
                funds::GrantKind::StudyCorner,
                format!("home-{n:03}"),
                150_000,
            ));
        }
        self.calls += u64::try_from(grants.len() * 3).unwrap_or(0);
        each(grants, |(key, fund, kind, beneficiary, amount)| {
            let (requester, approver) = (requester.clone(), approver.clone());
            async move {
                let items = if kind == funds::GrantKind::StudyCorner {
                    [("书桌椅", 1), ("书柜", 1), ("台灯", 1), ("图书", 15)]
                        .iter()
                        .map(|(name, quantity)| funds::StudyCornerItem {
                            name: (*name).into(),
                            quantity: *quantity,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let grant = call!(requester.request_grant(funds::RequestGrantRequest {
                    request_id: key.clone(),
                    fund_id: fund.clone(),
                    kind: kind as i32,
                    beneficiary_ref: beneficiary.clone(),
                    project_id: String::new(),
                    items: items.clone(),
                    amount_fen: amount,
                    requested_by: String::new(),
                }))?;
                settle!(approver.approve_grant(funds::ApproveGrantRequest {
                    id: grant.id.clone(),
                    approver: String::new(),
                }))?;
                call!(approver.disburse_grant(funds::DisburseGrantRequest {
                    id: grant.id.clone()
                }))
            }
        })
        .await?;
        Ok(())
    }

    async fn workshops(
        &mut self,
        directory: &Directory,
        volunteers: &[String],
    ) -> anyhow::Result<()> {
        let client = WorkshopsServiceClient::new(self.link.clone());
        // Ten brands, each sponsored by its own department ("one department, one product").
        for (i, (id, name, _)) in BRANDS.iter().enumerate() {
            call!(client.register_brand(workshops::RegisterBrandRequest {
                id: (*id).into(),
                name: (*name).into(),
                department_id: directory.agencies[i + 5].clone(),
                description: String::new(),
            }))?;
        }
        // 24 workshops over the four modes, opened, each with a site and training.
        let plans: Vec<_> = (0..24usize)
            .map(|i| {
                let (brand, brand_name, mode) = BRANDS[i % BRANDS.len()];
                let community = directory.communities[(i * 7) % directory.communities.len()]
                    .0
                    .clone();
                (
                    i,
                    brand,
                    brand_name,
                    mode,
                    community,
                    directory.agencies[i % BRANDS.len() + 5].clone(),
                )
            })
            .collect();
        self.calls += 10 + 24 * 4;
        let shops = each(
            plans,
            |(i, brand, brand_name, mode, community, department)| {
                let client = client.clone();
                async move {
                    let shop = call!(client.create_workshop(workshops::CreateWorkshopRequest {
                        request_id: format!("demo-workshop-{i}"),
                        name: format!("{brand_name}共富工坊 {}", i / BRANDS.len() + 1),
                        community_id: community.clone(),
                        host_firm: format!(
                            "洞头{}有限公司",
                            ["海产", "旅游", "文创", "电商"][i % 4]
                        ),
                        department_id: department.clone(),
                        mode: mode as i32,
                        brand_id: brand.into(),
                    }))?;
                    settle!(client.change_workshop_status(
                        workshops::ChangeWorkshopStatusRequest {
                            id: shop.id.clone(),
                            status: workshops::WorkshopStatus::Open as i32,
                            reason: String::new(),
                        }
                    ))?;
                    for (n, kind, what, fen) in [
                        (
                            0,
                            workshops::SupportKind::SiteSelection,
                            "村集体闲置用房",
                            0,
                        ),
                        (
                            1,
                            workshops::SupportKind::RentRelief,
                            "首年租金减免",
                            2_400_000,
                        ),
                    ] {
                        call!(client.give_support(workshops::GiveSupportRequest {
                            request_id: format!("demo-support-{i}-{n}"),
                            workshop_id: shop.id.clone(),
                            kind: kind as i32,
                            description: what.into(),
                            value_fen: fen,
                            given_on: None,
                        }))?;
                    }
                    Ok(shop.id)
                }
            },
        )
        .await?;

        // 108 commissioners, a red steward per workshop, a star broker for the first ten.
        let mut appointments = Vec::new();
        for (n, volunteer) in volunteers
            .iter()
            .take(usize::try_from(FIGURES.commissioners).unwrap_or(0))
            .enumerate()
        {
            appointments.push((
                format!("demo-commissioner-{n}"),
                volunteer.clone(),
                workshops::Role::Commissioner,
                shops[n % shops.len()].clone(),
            ));
        }
        for (n, shop) in shops.iter().enumerate() {
            let volunteer = volunteers[(n + 110) % volunteers.len()].clone();
            appointments.push((
                format!("demo-steward-{n}"),
                volunteer.clone(),
                workshops::Role::RedSteward,
                shop.clone(),
            ));
            if n < 10 {
                appointments.push((
                    format!("demo-broker-{n}"),
                    volunteer,
                    workshops::Role::StarBroker,
                    shop.clone(),
                ));
            }
        }
        self.calls += u64::try_from(appointments.len()).unwrap_or(0);
        each(appointments, |(key, volunteer, role, shop)| {
            let client = client.clone();
            async move {
                call!(client.appoint(workshops::AppointRequest {
                    request_id: key.clone(),
                    volunteer_id: volunteer.clone(),
                    role: role as i32,
                    workshop_id: shop.clone(),
                    ..Default::default()
                }))
            }
        })
        .await?;

        // 2,016 workers, 84 a workshop, each with a month's income after joining: every one
        // earns 2,500 to 3,300 yuan a month more than before.
        let month = "2026-10";
        let mut people = Vec::new();
        for n in 0..2_016u32 {
            let shop = shops[usize::try_from(n).unwrap_or(0) % shops.len()].clone();
            let baseline = self.dice.between(150_000, 300_000);
            let uplift = self.dice.between(250_000, 330_000);
            // The day carries the thousands of `n`, so no two workers share an ID number.
            let birth = format!(
                "19{:02}0{}{:02}",
                self.dice.between(55, 99),
                self.dice.between(1, 9),
                10 + n / 1000
            );
            let first17 = format!("330305{birth}{:03}", n % 1000);
            let id_number = format!(
                "{first17}{}",
                xingfu_platform::pii::check_character(&first17).unwrap_or('0')
            );
            let name = self.name();
            people.push((n, shop, name, id_number, baseline, uplift));
        }
        self.calls += u64::try_from(people.len() * 2).unwrap_or(0);
        each(people, |(n, shop, name, id_number, baseline, uplift)| {
            let client = client.clone();
            async move {
                let worker = call!(
                    client.enrol_worker(workshops::EnrolWorkerRequest {
                        request_id: format!("demo-worker-{n}"),
                        workshop_id: shop.clone(),
                        name: name.clone(),
                        phone: format!("137{:08}", 60_000_000 + n),
                        id_number: id_number.clone(),
                        background: ["渔民", "家庭主妇", "务农", "退休", "返乡青年"]
                            [usize::try_from(n).unwrap_or(0) % 5]
                            .into(),
                        baseline_monthly_income_fen: baseline,
                        joined_on: Some(Date {
                            year: 2026,
                            month: 1,
                            day: 5
                        }),
                    })
                )?;
                call!(client.record_income(workshops::RecordIncomeRequest {
                    request_id: format!("demo-income-{n}"),
                    worker_id: worker.id.clone(),
                    month: month.into(),
                    amount_fen: baseline + uplift,
                    source: workshops::IncomeSource::Wages as i32,
                }))
            }
        })
        .await?;
        // The 62-year-old ex-fisherman at the large-yellow-croaker workshop: 7,600 yuan a
        // month all year, 91,200 yuan.
        let croaker = shops[5].clone();
        let first17 = "33030519640315001";
        let fisherman = call!(client.enrol_worker(workshops::EnrolWorkerRequest {
            request_id: "demo-worker-fisherman".into(),
            workshop_id: croaker.clone(),
            name: "陈阿海".into(),
            phone: "13757000001".into(),
            id_number: format!(
                "{first17}{}",
                xingfu_platform::pii::check_character(first17).unwrap_or('0')
            ),
            background: "渔民".into(),
            baseline_monthly_income_fen: 300_000,
            joined_on: Some(Date {
                year: 2025,
                month: 1,
                day: 2
            }),
        }))?;
        for m in 1..=12 {
            call!(client.record_income(workshops::RecordIncomeRequest {
                request_id: format!("demo-income-fisherman-{m}"),
                worker_id: fisherman.id.clone(),
                month: format!("2025-{m:02}"),
                amount_fen: 760_000,
                source: workshops::IncomeSource::Wages as i32,
            }))?;
        }
        self.calls += 13;

        // Problems: 60 raised, 56 of them resolved by a commissioner.
        let problems: Vec<_> = (0..60usize)
            .map(|n| {
                (
                    n,
                    shops[n % shops.len()].clone(),
                    volunteers[n % usize::try_from(FIGURES.commissioners).unwrap_or(1)].clone(),
                )
            })
            .collect();
        self.calls += 60 * 3;
        let handler = WorkshopsServiceClient::new(self.people.handler.clone());
        each(problems, |(n, shop, commissioner)| {
            let client = client.clone();
            let handler = handler.clone();
            async move {
                let category = [
                    workshops::ProblemCategory::Construction,
                    workshops::ProblemCategory::FirmMatching,
                    workshops::ProblemCategory::InternalManagement,
                ][n % 3];
                let problem = call!(client.raise_problem(workshops::RaiseProblemRequest {
                    request_id: format!("demo-problem-{n}"),
                    workshop_id: shop.clone(),
                    category: category as i32,
                    description:
                        ["厂房改造进度滞后", "缺少稳定订单", "计件工资核算不清"][n % 3].into(),
                }))?;
                if n < usize::try_from(FIGURES.problems_resolved).unwrap_or(0) {
                    settle!(handler.assign_problem(workshops::AssignProblemRequest {
                        problem_id: problem.id.clone(),
                        volunteer_id: commissioner.clone(),
                    }))?;
                    call!(handler.resolve_problem(workshops::ResolveProblemRequest {
                        problem_id: problem.id.clone(),
                        resolution: "共富专员协调解决".into(),
                    }))?;
                }
                Ok(())
            }
        })
        .await?;
        Ok(())
    }
}

fn category_label(category: projects::Category) -> &'static str {
    match category {
        projects::Category::Convenience => "便民利民",
        projects::Category::PairedAssistance => "结对帮困",
        projects::Category::Transport => "交通出行",
        projects::Category::Infrastructure => "基础设施",
        projects::Category::CommunityActivity => "群众活动",
        projects::Category::PublicService => "公共服务",
        projects::Category::Environment => "环境改善",
        projects::Category::Unspecified => "其他",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_throws_the_same_dice() {
        let (mut a, mut b) = (Dice(7), Dice(7));
        let draws: Vec<u64> = (0..5).map(|_| a.next()).collect();
        assert_eq!(draws, (0..5).map(|_| b.next()).collect::<Vec<_>>());
        assert_ne!(Dice(8).next(), draws[0]);
        let mut c = Dice(1);
        assert!((0..1000).all(|_| (3..=5).contains(&c.between(3, 5))));
        assert_eq!(CATEGORIES.iter().map(|(_, n)| n).sum::<usize>(), 433);
    }
}
