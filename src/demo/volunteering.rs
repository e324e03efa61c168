//! The register of volunteers and what they do: activities, sign-ups, hours, wishes,
//! evaluations, teams.

use super::*;

impl Loader {
    /// 160 Party-member volunteers with a work side and a home side; returns their ids.
    pub(super) async fn volunteers(
        &mut self,
        directory: &Directory,
    ) -> anyhow::Result<Vec<String>> {
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

    pub(super) async fn activities(
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
                    co_organiser_ids: Vec::new(),
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
}
