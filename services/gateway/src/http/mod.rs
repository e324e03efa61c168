//! The gateway on the HTTP port: every unary call of the public APIs as JSON
//! (`rest`), the OpenAPI document describing them (`openapi`), and the programme's
//! dashboard (`dashboard`). All three are made from the descriptor set by one rule, so
//! no call has a hand-written handler, and every JSON call goes through the same layers as
//! gRPC: the same keys, scopes, limits and audit.

mod constraints;
pub mod dashboard;
pub mod openapi;
pub mod rest;

use std::sync::OnceLock;

use prost_reflect::MethodDescriptor;

use crate::auth::Access;
use crate::descriptors::pool;

/// The gRPC services reachable as JSON, by the short name in their routes.
pub const SERVICES: &[(&str, &str)] = &[
    ("projects", "xingfu.projects.v1.ProjectsService"),
    ("volunteers", "xingfu.volunteers.v1.VolunteersService"),
    ("funds", "xingfu.funds.v1.FundsService"),
    ("workshops", "xingfu.workshops.v1.WorkshopsService"),
    ("gateway", "xingfu.gateway.v1.GatewayService"),
];

/// One JSON route: `GET /v1/<service>/<method-in-kebab-case>` for a read,
/// `POST …` with a JSON body for a write.
#[derive(Debug, Clone)]
pub struct Route {
    /// The service's short name, e.g. `projects`.
    pub service: &'static str,
    /// The method in kebab case, e.g. `list-projects`.
    pub slug: String,
    /// The gRPC method.
    pub method: MethodDescriptor,
    /// Read (GET) or write (POST).
    pub access: Access,
}

impl Route {
    /// `/v1/<service>/<slug>`.
    pub fn path(&self) -> String {
        format!("/v1/{}/{}", self.service, self.slug)
    }

    /// `/<package.Service>/<Method>`, the gRPC path.
    pub fn grpc_path(&self) -> String {
        format!(
            "/{}/{}",
            self.method.parent_service().full_name(),
            self.method.name()
        )
    }
}

/// Every JSON route: each unary method of each service (streaming calls stay gRPC).
pub fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let mut routes = Vec::new();
        for (short, full) in SERVICES {
            let Some(service) = pool().get_service_by_name(full) else {
                continue;
            };
            for method in service.methods() {
                if method.is_client_streaming() || method.is_server_streaming() {
                    continue;
                }
                routes.push(Route {
                    service: short,
                    slug: kebab(method.name()),
                    access: Access::of(method.name()),
                    method,
                });
            }
        }
        routes
    })
}

/// `ListProjects` → `list-projects`.
pub fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unary_call_has_one_route() {
        assert_eq!(kebab("ListProjects"), "list-projects");
        assert_eq!(kebab("FourOnesReport"), "four-ones-report");
        let list = routes()
            .iter()
            .find(|r| r.path() == "/v1/projects/list-projects")
            .unwrap();
        assert_eq!(list.access, Access::Read);
        assert_eq!(
            list.grpc_path(),
            "/xingfu.projects.v1.ProjectsService/ListProjects"
        );
        assert!(
            routes().iter().all(|r| r.slug != "import-needs"),
            "streaming stays gRPC"
        );
        assert!(
            routes()
                .iter()
                .any(|r| r.path() == "/v1/gateway/get-overview")
        );
    }
}
