use std::collections::HashSet;

use tonic::Code;
use xingfu_proto::common::PageRequest;
use xingfu_proto::projects as pb;

use crate::helpers::{new_project, spawn_app, violated_fields};

#[tokio::test]
async fn get_returns_the_project_and_not_found_for_an_unknown_id() {
    let mut app = spawn_app().await;
    let created = app
        .client
        .create_project(new_project("req-get"))
        .await
        .unwrap()
        .into_inner();
    let got = app
        .client
        .get_project(pb::GetProjectRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, created);

    let unknown = uuid::Uuid::now_v7().to_string();
    let status = app
        .client
        .get_project(pb::GetProjectRequest { id: unknown })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    let status = app
        .client
        .get_project(pb::GetProjectRequest {
            id: "not-a-uuid".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["id"]);
    app.stop().await;
}

async fn list(
    app: &mut crate::helpers::TestApp,
    category: pb::Category,
    size: i32,
    token: &str,
) -> Result<pb::ListProjectsResponse, tonic::Status> {
    app.client
        .list_projects(pb::ListProjectsRequest {
            page: Some(PageRequest {
                page_size: size,
                page_token: token.into(),
            }),
            category: category as i32,
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn list_walks_keyset_pages_newest_first_and_filters_by_category() {
    let mut app = spawn_app().await;
    let mut created = Vec::new();
    for i in 0..5 {
        let mut request = new_project(&format!("req-list-{i}"));
        if i % 2 == 1 {
            request.category = pb::Category::Transport as i32;
        }
        created.push(
            app.client
                .create_project(request)
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }

    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = list(&mut app, pb::Category::Unspecified, 2, &token)
            .await
            .unwrap();
        pages += 1;
        assert!(page.projects.len() <= 2);
        seen.extend(page.projects.into_iter().map(|p| p.id));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(pages, 3);
    let newest_first: Vec<_> = created.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5);

    let transport = list(&mut app, pb::Category::Transport, 10, "")
        .await
        .unwrap();
    let ids: Vec<_> = transport.projects.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, [created[3].clone(), created[1].clone()]);
    assert!(transport.page.unwrap().next_page_token.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn list_refuses_malformed_or_foreign_page_tokens() {
    let mut app = spawn_app().await;
    for i in 0..3 {
        app.client
            .create_project(new_project(&format!("req-tok-{i}")))
            .await
            .unwrap();
    }
    let first = list(&mut app, pb::Category::Unspecified, 1, "")
        .await
        .unwrap();
    let token = first.page.unwrap().next_page_token;

    let status = list(&mut app, pb::Category::Transport, 1, &token)
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "a token only fits its own query"
    );
    assert_eq!(violated_fields(&status), ["page.page_token"]);

    let status = list(&mut app, pb::Category::Unspecified, 1, "garbage!")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page.page_token"]);

    let status = list(&mut app, pb::Category::Unspecified, -1, "")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page.page_size"]);

    let status = app
        .client
        .list_projects(pb::ListProjectsRequest {
            category: 99,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["category"]);
    app.stop().await;
}
