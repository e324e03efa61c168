//! Common-prosperity workshops: brands, workshops, workers, orders, problems.

use super::*;

impl Loader {
    pub(super) async fn workshops(
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
