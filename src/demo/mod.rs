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

mod charity;
mod directory;
mod library;
mod people;
mod prosperity;
mod volunteering;

use directory::Directory;
use people::{People, people};

struct Loader {
    link: Link,
    people: People,
    dice: Dice,
    calls: u64,
}

impl Loader {
    fn volunteers_client(&self) -> VolunteersServiceClient<Link> {
        VolunteersServiceClient::new(self.link.clone())
    }

    fn name(&mut self) -> String {
        format!("{}{}", self.dice.pick(SURNAMES), self.dice.pick(GIVEN))
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
