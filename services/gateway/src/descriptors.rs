//! The descriptor set of every xingfu API, decoded once for the whole gateway: the JSON
//! routes and the OpenAPI document are made from it, the audit reads resource ids with it
//! and the subtree check reads the organisations a request names.

use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, MethodDescriptor};

/// The descriptor set of every xingfu API.
pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(xingfu_proto::FILE_DESCRIPTOR_SET).unwrap_or_default()
    })
}

/// The method `service` (`package.Service`) declares as `method`, if any.
pub fn method(service: &str, method: &str) -> Option<MethodDescriptor> {
    pool()
        .get_service_by_name(service)?
        .methods()
        .find(|m| m.name() == method)
}
