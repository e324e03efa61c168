//! `xingfu.projects.v1.ProjectsService`: requests parsed into the domain, answers built
//! from it, errors mapped once by the platform.

use tonic::{Request, Response, Status};
use xingfu_platform::events::Outbox;
use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::{Error, FieldViolation, Violations, db::Database, paging, validate};
use xingfu_proto::common::{CommunityRef, PageResponse};
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_server::ProjectsService;

use crate::domain::{self, Category, DirectoryId, NewProject, Project, Status as ProjectStatus};
use crate::storage::{self, Inserted};

/// The API over the service's database and outbox.
#[derive(Clone)]
pub struct ProjectsApi {
    db: Database,
    outbox: Outbox,
}

impl ProjectsApi {
    /// The API on `db`, publishing through `outbox`.
    pub fn new(db: Database, outbox: Outbox) -> Self {
        Self { db, outbox }
    }

    async fn create_project(
        &self,
        request: pb::CreateProjectRequest,
    ) -> Result<pb::Project, Error> {
        let new = NewProject::try_from(request)?;
        let mut tx = self.db.begin().await?;
        let id = uuid::Uuid::now_v7().to_string();
        match storage::insert_project(&mut tx, &id, &new, now_micros()).await? {
            Inserted::New(project) => {
                let event = pb::ProjectCreated {
                    project_id: project.id.clone(),
                    title: project.title.clone(),
                    category: category_to_proto(project.category) as i32,
                    community_id: project.community_id.clone(),
                    create_time: Some(to_timestamp(project.created_at)),
                };
                self.outbox.enqueue(&mut tx, &project.id, &event).await?;
                self.outbox.commit(tx).await?;
                tracing::info!(project_id = %project.id, "project created");
                Ok(project_to_proto(project))
            }
            Inserted::Existing(project, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(project_to_proto(project))
            }
            Inserted::Existing(..) => Err(Error::AlreadyExists {
                resource: "request_id",
                id: new.request_id,
                message: "was already used for a different project; use a new request_id".into(),
            }),
        }
    }

    async fn get_project(&self, request: pb::GetProjectRequest) -> Result<pb::Project, Error> {
        let id = validate::uuid(&request.id, "id")?;
        storage::get_project(self.db.pool(), &id)
            .await?
            .map(project_to_proto)
            .ok_or(Error::NotFound {
                resource: "project",
                id,
            })
    }

    async fn list_projects(
        &self,
        request: pb::ListProjectsRequest,
    ) -> Result<pb::ListProjectsResponse, Error> {
        let category = match request.category {
            0 => None,
            value => Some(category_from_proto(value, "category")?),
        };
        let filters = format!("category={}", category.map_or("", Category::as_str));
        let page = paging::parse(request.page.as_ref(), &filters, "page")?;
        let mut projects = storage::list_projects(self.db.pool(), category, &page).await?;
        let next_page_token = paging::finish(&mut projects, &page, &filters, |p| &p.id);
        Ok(pb::ListProjectsResponse {
            projects: projects.into_iter().map(project_to_proto).collect(),
            page: Some(PageResponse { next_page_token }),
        })
    }
}

#[tonic::async_trait]
impl ProjectsService for ProjectsApi {
    async fn create_project(
        &self,
        request: Request<pb::CreateProjectRequest>,
    ) -> Result<Response<pb::Project>, Status> {
        Ok(Response::new(
            self.create_project(request.into_inner()).await?,
        ))
    }

    async fn get_project(
        &self,
        request: Request<pb::GetProjectRequest>,
    ) -> Result<Response<pb::Project>, Status> {
        Ok(Response::new(self.get_project(request.into_inner()).await?))
    }

    async fn list_projects(
        &self,
        request: Request<pb::ListProjectsRequest>,
    ) -> Result<Response<pb::ListProjectsResponse>, Status> {
        Ok(Response::new(
            self.list_projects(request.into_inner()).await?,
        ))
    }
}

impl TryFrom<pb::CreateProjectRequest> for NewProject {
    type Error = Error;

    fn try_from(request: pb::CreateProjectRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let request_id = v.check(validate::request_id(&request.request_id, "request_id"));
        let title = v.check(domain::parse_title(&request.title, "title"));
        let category = v.check(category_from_proto(request.category, "category"));
        let community = v.check(DirectoryId::parse(&request.community_id, "community_id"));
        let description = v.check(domain::parse_description(
            &request.description,
            "description",
        ));
        match (request_id, title, category, community, description) {
            (Some(request_id), Some(title), Some(category), Some(community), Some(description)) => {
                Ok(NewProject {
                    request_id,
                    title,
                    category,
                    community,
                    description,
                })
            }
            _ => Err(v
                .finish()
                .err()
                .unwrap_or_else(|| Error::invalid("", "invalid request"))),
        }
    }
}

fn category_from_proto(value: i32, field: &str) -> Result<Category, FieldViolation> {
    match pb::Category::try_from(value) {
        Ok(pb::Category::Convenience) => Ok(Category::Convenience),
        Ok(pb::Category::PairedAssistance) => Ok(Category::PairedAssistance),
        Ok(pb::Category::Transport) => Ok(Category::Transport),
        Ok(pb::Category::Infrastructure) => Ok(Category::Infrastructure),
        Ok(pb::Category::CommunityActivity) => Ok(Category::CommunityActivity),
        Ok(pb::Category::PublicService) => Ok(Category::PublicService),
        Ok(pb::Category::Environment) => Ok(Category::Environment),
        Ok(pb::Category::Unspecified) => Err(FieldViolation::new(field, "must be set")),
        Err(_) => Err(FieldViolation::new(
            field,
            format!("unknown category {value}"),
        )),
    }
}

fn category_to_proto(category: Category) -> pb::Category {
    match category {
        Category::Convenience => pb::Category::Convenience,
        Category::PairedAssistance => pb::Category::PairedAssistance,
        Category::Transport => pb::Category::Transport,
        Category::Infrastructure => pb::Category::Infrastructure,
        Category::CommunityActivity => pb::Category::CommunityActivity,
        Category::PublicService => pb::Category::PublicService,
        Category::Environment => pb::Category::Environment,
    }
}

fn project_to_proto(project: Project) -> pb::Project {
    pb::Project {
        id: project.id,
        title: project.title,
        category: category_to_proto(project.category) as i32,
        community: Some(CommunityRef {
            id: project.community_id,
            verified: false,
        }),
        description: project.description,
        status: match project.status {
            ProjectStatus::Draft => pb::ProjectStatus::Draft as i32,
        },
        create_time: Some(to_timestamp(project.created_at)),
        update_time: Some(to_timestamp(project.updated_at)),
        version: project.version,
    }
}
