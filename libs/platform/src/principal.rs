//! Principals (操作人) and their roles (角色): the programme's rules are rules about
//! people, so every "who did it" is the authenticated principal the gateway vouched for
//! ([`Caller`]), never a request field. A role is held over an organisation's subtree, or
//! programme-wide; a caller limited to a boundary sees only records owned inside it.
//!
//! The gateway keeps principals and role grants as data (granted and revoked through its
//! API); the services receive them in the call's trusted headers and decide here.

use std::collections::BTreeSet;
use std::fmt;

use crate::Error;

/// What a principal may do in an organisation (or, granted without one, everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages principals, keys and roles everywhere (项目汇管理员).
    ProgrammeAdmin,
    /// Manages roles within its organisation's subtree.
    OrganisationAdmin,
    /// Requests grants from its organisation's funds.
    GrantRequester,
    /// Approves, rejects and pays grants of its organisation's funds.
    GrantApprover,
    /// Runs its organisation's activities: checks volunteers in and verifies their hours.
    ActivityOrganiser,
    /// Rates volunteers for its organisation (双评议).
    Evaluator,
    /// A common-prosperity commissioner or red steward at its organisation's workshops.
    Commissioner,
    /// Takes and resolves problems raised at its organisation's workshops.
    ProblemHandler,
    /// Reads everything, changes nothing.
    Auditor,
    /// A system integrating with xingfu.
    Integrator,
    /// May name another person as the actor (bulk imports, data migration); recorded as
    /// acting on their behalf. Never enough to approve a grant.
    Delegate,
}

impl Role {
    /// Every role, in the order the docs list them.
    pub const ALL: [Role; 11] = [
        Role::ProgrammeAdmin,
        Role::OrganisationAdmin,
        Role::GrantRequester,
        Role::GrantApprover,
        Role::ActivityOrganiser,
        Role::Evaluator,
        Role::Commissioner,
        Role::ProblemHandler,
        Role::Auditor,
        Role::Integrator,
        Role::Delegate,
    ];

    /// The role's name in headers, the API and the docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProgrammeAdmin => "programme_admin",
            Role::OrganisationAdmin => "organisation_admin",
            Role::GrantRequester => "grant_requester",
            Role::GrantApprover => "grant_approver",
            Role::ActivityOrganiser => "activity_organiser",
            Role::Evaluator => "evaluator",
            Role::Commissioner => "commissioner",
            Role::ProblemHandler => "problem_handler",
            Role::Auditor => "auditor",
            Role::Integrator => "integrator",
            Role::Delegate => "delegate",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role held over an organisation's subtree, or programme-wide (`organisation: None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// Where it holds: this organisation and every one below it.
    pub organisation: Option<String>,
}

impl Grant {
    /// The grant as a header token: `role@organisation`, or `role`.
    pub fn to_token(&self) -> String {
        match &self.organisation {
            Some(organisation) => format!("{}@{organisation}", self.role),
            None => self.role.as_str().to_owned(),
        }
    }

    /// The grant a header token names.
    pub fn from_token(token: &str) -> Option<Grant> {
        let (role, organisation) = match token.split_once('@') {
            Some((role, organisation)) => (role, Some(organisation.to_owned())),
            None => (token, None),
        };
        Some(Grant {
            role: Role::parse(role)?,
            organisation: organisation.filter(|o| !o.is_empty()),
        })
    }
}

/// A principal's id as it is compared and stored: trimmed and lower-case, so `Alice`,
/// `ALICE` and ` alice` are one person. Only ASCII letters are folded: a full Unicode
/// fold would turn the Kelvin sign into `k`, and an id that is not ASCII must stay one
/// that no check admits, never become someone else's.
pub fn normalise(id: &str) -> String {
    id.trim().to_ascii_lowercase()
}

/// Whether `id` (normalised) is spelt as a principal's id can be: 1 to 128 characters
/// of a-z, 0-9, '-', '_', '.', ':' and '@' (a token's `jwt:<sub>` may be an address).
pub fn is_principal_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'-' | b'_' | b'.' | b':' | b'@')
        })
}

/// Who a write acts as: the caller, or the person a delegate named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The person recorded as having done it.
    pub id: String,
    /// The delegate that made the call on their behalf, if not themselves.
    pub delegate: Option<String>,
}

/// The caller of a call, as the gateway vouched for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The caller's id (an API key's caller, a token's subject); empty when unknown.
    pub id: String,
    /// Its scopes, e.g. `projects:read`, `pii:read`.
    pub scopes: BTreeSet<String>,
    /// The organisation whose subtree its calls are limited to, if any.
    pub organisation: Option<String>,
    /// The township (镇 / 街道) its calls are limited to, if any: it sees what is located
    /// there (see [`Caller::sees_record`]).
    pub township: Option<String>,
    /// Its roles, each over an organisation's subtree or programme-wide.
    pub roles: Vec<Grant>,
    /// The volunteer record of the person calling, when the principal is linked to one.
    pub volunteer: Option<String>,
}

impl Caller {
    /// The actor of a write whose request field `field` names `named` (empty: the caller).
    /// A name other than the caller's is refused, unless the caller holds the delegate
    /// role; then the named person is the actor and the caller is recorded beside them.
    pub fn actor(&self, field: &str, named: &str) -> Result<Actor, Error> {
        let caller = self.principal()?;
        let named = normalise(named);
        if !named.is_empty() && !is_principal_id(&named) {
            // The name travels in headers and the audit: nothing but an id's characters.
            return Err(Error::invalid(
                field,
                "names a principal: 1 to 128 characters of a-z, 0-9, '-', '_', '.', ':', '@'",
            ));
        }
        if named.is_empty() || named == caller {
            return Ok(Actor {
                id: caller,
                delegate: None,
            });
        }
        if self.holds_role(Role::Delegate) {
            crate::acting::note_on_behalf_of(&named);
            return Ok(Actor {
                id: named,
                delegate: Some(caller),
            });
        }
        Err(Error::denied(
            "ACTOR_NOT_CALLER",
            format!(
                "{field} names {named:?}, but the call is made by {caller:?}: \
                 the actor is the authenticated caller"
            ),
        ))
    }

    /// The actor of a write no one may do for another (approving a grant): the caller in
    /// person, whatever delegation it holds; `named`, when given, must be the caller.
    pub fn in_person(&self, field: &str, named: &str) -> Result<String, Error> {
        let caller = self.principal()?;
        let named = normalise(named);
        if named.is_empty() || named == caller {
            Ok(caller)
        } else {
            Err(Error::denied(
                "ACTOR_NOT_CALLER",
                format!(
                    "{field} names {named:?}, but the call is made by {caller:?}: \
                     this is done in person, never on another's behalf"
                ),
            ))
        }
    }

    /// The caller's normalised id, or PERMISSION_DENIED when the call names no principal.
    pub fn principal(&self) -> Result<String, Error> {
        let id = normalise(&self.id);
        if id.is_empty() {
            return Err(Error::denied(
                "NO_PRINCIPAL",
                "this call acts for no authenticated principal",
            ));
        }
        Ok(id)
    }

    /// Whether the caller holds `role` anywhere.
    pub fn holds_role(&self, role: Role) -> bool {
        self.roles.iter().any(|grant| grant.role == role)
    }

    /// Whether the caller holds `role` over the organisation whose `lineage` (itself, then
    /// its ancestors up to the root) is given.
    pub fn may(&self, role: Role, lineage: &[String]) -> bool {
        self.roles.iter().any(|grant| {
            grant.role == role
                && grant
                    .organisation
                    .as_ref()
                    .is_none_or(|at| lineage.contains(at))
        })
    }

    /// [`Caller::may`], or PERMISSION_DENIED naming the role and the organisation.
    pub fn require(&self, role: Role, lineage: &[String], what: &str) -> Result<(), Error> {
        if self.may(role, lineage) {
            return Ok(());
        }
        let organisation = lineage.first().map_or("", String::as_str);
        Err(Error::denied(
            "ROLE_REQUIRED",
            format!(
                "{what} needs the role {role} over organisation {organisation:?}, \
                 which {:?} does not hold",
                normalise(&self.id)
            ),
        ))
    }

    /// Whether the caller's calls are limited to an organisation's subtree or a township.
    pub fn is_limited(&self) -> bool {
        self.organisation.is_some() || self.township.is_some()
    }

    /// Whether a record owned by the organisation of `lineage`, and located nowhere in
    /// particular, lies inside the caller's boundary (always, for a caller without one;
    /// never, for one limited to a township).
    pub fn sees(&self, lineage: &[String]) -> bool {
        self.sees_record(std::slice::from_ref(&lineage), &[])
    }

    /// Whether a record owned by any of `lineages` lies inside the caller's boundary.
    pub fn sees_any(&self, lineages: &[Vec<String>]) -> bool {
        self.sees_record(lineages, &[])
    }

    /// Whether a record owned by the organisations of `lineages` and located in
    /// `townships` (its site's, or its communities') lies inside the caller's boundary:
    /// an organisation boundary holds it through an owner, a township boundary through a
    /// location; a caller with neither sees everything. Fails closed: a record without a
    /// location is outside every township.
    pub fn sees_record<L: AsRef<[String]>>(&self, lineages: &[L], townships: &[String]) -> bool {
        let by_owner = self.organisation.as_ref().is_none_or(|root| {
            lineages
                .iter()
                .any(|lineage| lineage.as_ref().contains(root))
        });
        let by_place = self
            .township
            .as_ref()
            .is_none_or(|ours| townships.iter().any(|t| t.trim() == ours));
        by_owner && by_place
    }

    /// Whether the caller is the person registered as volunteer `volunteer_id`.
    pub fn is_volunteer(&self, volunteer_id: &str) -> bool {
        self.volunteer
            .as_deref()
            .is_some_and(|own| !own.is_empty() && own == volunteer_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(id: &str, roles: &[&str]) -> Caller {
        Caller {
            id: id.into(),
            roles: roles.iter().filter_map(|t| Grant::from_token(t)).collect(),
            ..Caller::default()
        }
    }

    #[test]
    fn the_actor_is_the_caller_whatever_its_spelling() {
        let alice = caller("alice", &[]);
        assert_eq!(alice.actor("approver", "").unwrap().id, "alice");
        assert_eq!(alice.actor("approver", " ALICE ").unwrap().id, "alice");
        let err = alice.actor("approver", "bob").unwrap_err();
        assert!(matches!(
            err,
            Error::PermissionDenied {
                reason: "ACTOR_NOT_CALLER",
                ..
            }
        ));
        assert!(caller("", &[]).actor("approver", "").is_err());
    }

    #[test]
    fn a_delegate_acts_for_others_but_never_in_person() {
        let importer = caller("importer", &["delegate"]);
        let actor = importer.actor("verifier", "Bob").unwrap();
        assert_eq!(actor.id, "bob");
        assert_eq!(actor.delegate.as_deref(), Some("importer"));
        assert!(importer.in_person("approver", "bob").is_err());
        assert_eq!(importer.in_person("approver", "").unwrap(), "importer");
    }

    #[test]
    fn roles_hold_over_a_subtree_or_everywhere() {
        let lineage = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let approver = caller("a", &["grant_approver@district", "evaluator"]);
        assert!(approver.may(Role::GrantApprover, &lineage(&["school", "district"])));
        assert!(!approver.may(Role::GrantApprover, &lineage(&["other"])));
        assert!(approver.may(Role::Evaluator, &lineage(&["anything"])));
        assert!(!approver.may(Role::ActivityOrganiser, &lineage(&["district"])));
        assert!(
            approver
                .require(Role::Auditor, &lineage(&["x"]), "reading")
                .is_err()
        );
        assert_eq!(Grant::from_token("nonsense@x"), None);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn a_boundary_shows_only_its_subtree() {
        let limited = Caller {
            id: "clerk".into(),
            organisation: Some("beiao".into()),
            ..Caller::default()
        };
        assert!(limited.sees(&["school".into(), "beiao".into()]));
        assert!(!limited.sees(&["other".into()]));
        assert!(!limited.sees(&[]));
        assert!(Caller::default().sees(&[]));
    }

    #[test]
    fn a_township_boundary_holds_by_location_and_fails_closed() {
        let beiao = Caller {
            id: "clerk".into(),
            township: Some("北岙街道".into()),
            ..Caller::default()
        };
        let owner = vec![vec!["civil-affairs".to_owned()]];
        assert!(beiao.sees_record(&owner, &["北岙街道".into()]));
        assert!(!beiao.sees_record(&owner, &["大门镇".into()]));
        // Owned by an organisation and located nowhere: outside every township.
        assert!(!beiao.sees(&["civil-affairs".into()]));
        assert!(beiao.is_limited());
        // An organisation boundary ignores location.
        let civil = Caller {
            organisation: Some("civil-affairs".into()),
            ..Caller::default()
        };
        assert!(civil.sees_record(&owner, &[]));
        assert!(!civil.sees_record(&[vec!["education".to_owned()]], &["北岙街道".into()]));
    }

    #[test]
    fn a_named_actor_is_spelt_as_an_id() {
        let importer = caller("importer", &["delegate"]);
        for bad in ["alice\r\nx-evil: 1", "王五", "a b", &"x".repeat(129)] {
            let refused = importer.actor("verifier", bad).unwrap_err();
            assert!(matches!(refused, Error::Invalid(_)), "{bad:?}");
        }
        assert_eq!(
            importer
                .actor("verifier", "jwt:li@dongtou.gov.cn")
                .unwrap()
                .id,
            "jwt:li@dongtou.gov.cn"
        );
    }
}
