//! The shared project library: needs, projects, claims, dispatches, visits, contracts.

use super::*;

impl Loader {
    pub(super) async fn projects(
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
