//! The event catalogue: every event message with its subject (below the deployment
//! prefix) and its CloudEvents type. Listed here once, next to the generated types.

/// A protobuf message published as an event.
pub trait EventMessage: prost::Message + Default {
    /// Subject below the prefix: `<service>.<fact>.v1`.
    const SUBJECT: &'static str;
    /// Full protobuf name, the CloudEvents `type`.
    const TYPE: &'static str;
}

macro_rules! catalogue {
    ($($package:literal $module:ident :: $message:ident => $subject:literal;)*) => {
        $(
            impl EventMessage for crate::$module::$message {
                const SUBJECT: &'static str = $subject;
                const TYPE: &'static str = concat!($package, ".", stringify!($message));
            }
        )*

        /// Every event as (subject, type), for documentation checks and tools.
        pub const CATALOGUE: &[(&str, &str)] = &[
            $(($subject, concat!($package, ".", stringify!($message))),)*
        ];
    };
}

catalogue! {
    "xingfu.projects.v1" projects::ProjectCreated => "projects.project_created.v1";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_their_producer_and_a_version() {
        for (subject, event_type) in CATALOGUE {
            let producer = subject.split('.').next().unwrap();
            assert!(
                event_type.starts_with(&format!("xingfu.{producer}.v1.")),
                "{event_type}"
            );
            assert!(subject.ends_with(".v1"), "{subject}");
        }
    }
}
