//! The field rules declared in the protos (`xingfu.validate.v1`, options on the fields
//! they bind), read from the descriptors once and checked against every request before a
//! handler runs ([`RulesLayer`]). The gateway's OpenAPI document reads the same rules
//! ([`field_rules`]), so what a client is told and what the server checks are one list.
//!
//! Rules a declaration cannot express (an ID number's check character, a month not in
//! the future, one field's bound by another's) stay in the services' code; docs/api.md
//! names each.

mod check;
mod layer;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use prost_reflect::{
    DescriptorPool, DynamicMessage, ExtensionDescriptor, FieldDescriptor, Kind, MessageDescriptor,
    OneofDescriptor, Value,
};

pub use layer::{RulesLayer, RulesService};

use crate::error::FieldViolation;

/// The extension on a field's options that holds its rules.
const FIELD_EXTENSION: &str = "xingfu.validate.v1.rules";
/// The extension on a oneof's options that makes one member required.
const ONEOF_EXTENSION: &str = "xingfu.validate.v1.oneof_required";

/// What a string field holds (`xingfu.validate.v1.Format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Any text: only `max_len` and `required` apply.
    #[default]
    Any,
    /// One line: trimmed, no control characters.
    Line,
    /// Free text: trimmed; line breaks and tabs allowed, other control characters not.
    Text,
    /// An id this API returned: a UUID.
    Uuid,
    /// A directory id: 1 to 64 of `A-Z a-z 0-9 _ -`.
    DirectoryId,
    /// An idempotency key: 1 to 128 characters, no control characters or surrounding
    /// spaces.
    RequestId,
    /// A month, `YYYY-MM`.
    Month,
}

impl Format {
    fn from_number(number: i32) -> Self {
        match number {
            1 => Self::Line,
            2 => Self::Text,
            3 => Self::Uuid,
            4 => Self::DirectoryId,
            5 => Self::RequestId,
            6 => Self::Month,
            _ => Self::Any,
        }
    }
}

/// One field's rules (`xingfu.validate.v1.FieldRules`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldRules {
    /// Strings: not empty (after trimming, for lines and text). Enums: not the zero value.
    /// Messages: present.
    pub required: bool,
    /// What a string holds; an empty string is absent.
    pub format: Format,
    /// Most characters of a string (after trimming, for lines and text).
    pub max_len: Option<usize>,
    /// Smallest value of an integer, inclusive.
    pub min: Option<i64>,
    /// Largest value of an integer, inclusive.
    pub max: Option<i64>,
    /// Fewest items of a repeated field.
    pub min_items: Option<usize>,
    /// Most items of a repeated field.
    pub max_items: Option<usize>,
    /// Items of a repeated field must differ.
    pub unique: bool,
    /// On a message field: the message is an update's values; its unset fields are not
    /// checked.
    pub partial: bool,
}

/// The rules `field` declares, if any.
pub fn field_rules(field: &FieldDescriptor) -> Option<FieldRules> {
    let extension = field.parent_pool().get_extension_by_name(FIELD_EXTENSION)?;
    read_rules(&field.options(), &extension)
}

/// Whether `oneof` declares that one of its members must be set.
pub fn oneof_required(oneof: &OneofDescriptor) -> bool {
    let Some(extension) = oneof
        .parent_message()
        .parent_pool()
        .get_extension_by_name(ONEOF_EXTENSION)
    else {
        return false;
    };
    let options = oneof.options();
    options.has_extension(&extension)
        && matches!(
            options.get_extension(&extension).as_ref(),
            Value::Bool(true)
        )
}

fn read_rules(options: &DynamicMessage, extension: &ExtensionDescriptor) -> Option<FieldRules> {
    if !options.has_extension(extension) {
        return None;
    }
    let value = options.get_extension(extension);
    let Value::Message(rules) = value.as_ref() else {
        return None;
    };
    let present = |name: &str| rules.has_field_by_name(name);
    let get = |name: &str| rules.get_field_by_name(name).map(|v| v.into_owned());
    let count = |name: &str| match get(name) {
        Some(Value::U32(n)) if n > 0 => usize::try_from(n).ok(),
        _ => None,
    };
    let bound = |name: &str| match get(name) {
        Some(Value::I64(n)) if present(name) => Some(n),
        _ => None,
    };
    Some(FieldRules {
        required: matches!(get("required"), Some(Value::Bool(true))),
        format: match get("format") {
            Some(Value::EnumNumber(n)) => Format::from_number(n),
            _ => Format::Any,
        },
        max_len: count("max_len"),
        min: bound("min"),
        max: bound("max"),
        min_items: count("min_items"),
        max_items: count("max_items"),
        unique: matches!(get("unique"), Some(Value::Bool(true))),
        partial: matches!(get("partial"), Some(Value::Bool(true))),
    })
}

/// The rules of one message type: its own fields' and oneofs', and the message-typed
/// fields whose types hold rules.
#[derive(Debug, Default)]
struct MessageRules {
    fields: Vec<(FieldDescriptor, FieldRules)>,
    nested: Vec<FieldDescriptor>,
    oneofs: Vec<OneofDescriptor>,
}

/// Every message type's rules, and which message each method takes.
#[derive(Debug)]
pub struct Rules {
    messages: Arc<HashMap<String, MessageRules>>,
    /// Request path (`/package.Service/Method`) → what the method takes, for the methods
    /// that take one message (not a client stream) with rules.
    methods: HashMap<String, MessageDescriptor>,
}

impl Rules {
    /// The rules of xingfu's own descriptors, read once.
    pub fn global() -> Arc<Self> {
        static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
        RULES
            .get_or_init(|| {
                // The descriptor set is built into the binary: a failure here is a build's,
                // and leaves no rules, which the runner refuses to start with.
                let pool = DescriptorPool::decode(xingfu_proto::FILE_DESCRIPTOR_SET)
                    .unwrap_or_else(|_| DescriptorPool::new());
                Arc::new(Self::from_pool(&pool))
            })
            .clone()
    }

    /// The rules declared in `pool`.
    pub fn from_pool(pool: &DescriptorPool) -> Self {
        let field_extension = pool.get_extension_by_name(FIELD_EXTENSION);
        let mut own: HashMap<String, MessageRules> = HashMap::new();
        for message in pool.all_messages() {
            let mut rules = MessageRules::default();
            if let Some(extension) = &field_extension {
                for field in message.fields() {
                    if let Some(declared) = read_rules(&field.options(), extension) {
                        rules.fields.push((field, declared));
                    }
                }
            }
            rules.oneofs = message.oneofs().filter(oneof_required).collect();
            own.insert(message.full_name().to_owned(), rules);
        }
        // A message holds rules when it declares some or a field's type holds some: the
        // least fixed point, so recursive types end.
        let mut holding: HashSet<String> = own
            .iter()
            .filter(|(_, r)| !r.fields.is_empty() || !r.oneofs.is_empty())
            .map(|(name, _)| name.clone())
            .collect();
        loop {
            let before = holding.len();
            for message in pool.all_messages() {
                if holding.contains(message.full_name()) {
                    continue;
                }
                if message
                    .fields()
                    .any(|f| message_type(&f).is_some_and(|m| holding.contains(m.full_name())))
                {
                    holding.insert(message.full_name().to_owned());
                }
            }
            if holding.len() == before {
                break;
            }
        }
        let mut messages = HashMap::new();
        for message in pool.all_messages() {
            if !holding.contains(message.full_name()) {
                continue;
            }
            let Some(mut rules) = own.remove(message.full_name()) else {
                continue;
            };
            rules.nested = message
                .fields()
                .filter(|f| message_type(f).is_some_and(|m| holding.contains(m.full_name())))
                .collect();
            messages.insert(message.full_name().to_owned(), rules);
        }
        let methods = pool
            .services()
            .flat_map(|service| service.methods().collect::<Vec<_>>())
            .filter(|method| !method.is_client_streaming())
            .filter(|method| messages.contains_key(method.input().full_name()))
            .map(|method| {
                let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
                (path, method.input())
            })
            .collect();
        Self {
            messages: Arc::new(messages),
            methods,
        }
    }

    /// The same rules, checked only for the methods of `services` (full names): a server
    /// that answers other calls by passing them on.
    pub fn only(&self, services: &[&str]) -> Self {
        let methods = self
            .methods
            .iter()
            .filter(|(path, _)| {
                services.iter().any(|service| {
                    path.strip_prefix('/')
                        .and_then(|p| p.strip_prefix(service))
                        .is_some_and(|rest| rest.starts_with('/'))
                })
            })
            .map(|(path, input)| (path.clone(), input.clone()))
            .collect();
        Self {
            messages: self.messages.clone(),
            methods,
        }
    }

    /// How many request messages declare rules (none means the options were lost: the
    /// runner refuses to start so).
    pub fn methods_checked(&self) -> usize {
        self.methods.len()
    }

    /// What the method at `path` takes, when it has rules to check.
    pub fn method_input(&self, path: &str) -> Option<&MessageDescriptor> {
        self.methods.get(path)
    }

    /// Every rule `message` breaks, each naming its field's path (`contact.phone`,
    /// `items[2].name`).
    pub fn check(&self, message: &DynamicMessage) -> Vec<FieldViolation> {
        let mut violations = Vec::new();
        self.check_message(message, "", false, &mut violations);
        violations
    }
}

/// The message type of a message field (not a map's entries).
fn message_type(field: &FieldDescriptor) -> Option<MessageDescriptor> {
    match field.kind() {
        Kind::Message(message) if !field.is_map() => Some(message),
        _ => None,
    }
}
