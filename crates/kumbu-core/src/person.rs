//! The people of a merchant who sign in to the dashboard: their roles, and what each role may
//! do. The dashboard hides what a role may not do, and the engine refuses it anyway: both ask
//! [`Role::may`].

/// What a person is to their merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything: people, connectors, and what every other role may do.
    Owner,
    /// Keys, webhooks, events, test data.
    Developer,
    /// Payments, refunds, payouts, collections, exports.
    Finance,
    /// Reads only.
    Viewer,
}

/// Something a person may be allowed to do (reading is allowed to every role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Invite people, change their roles, remove them.
    ManagePeople,
    /// Set, check and remove operator credentials; branding and settings.
    ManageSettings,
    /// Create, roll and revoke API keys; manage webhook endpoints; resend events.
    ManageDevelopers,
    /// Refund and cancel payments, create payouts, resolve exceptions, upload bank files.
    MoveMoney,
    /// Export lists (payments, the audit log) as CSV.
    Export,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Developer, Role::Finance, Role::Viewer];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Developer => "developer",
            Role::Finance => "finance",
            Role::Viewer => "viewer",
        }
    }

    /// The role named `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may do `action`.
    pub const fn may(self, action: Action) -> bool {
        match (self, action) {
            (Role::Owner, _) => true,
            (Role::Developer, Action::ManageDevelopers)
            | (Role::Finance, Action::MoveMoney | Action::Export) => true,
            (
                Role::Developer,
                Action::ManagePeople | Action::ManageSettings | Action::MoveMoney | Action::Export,
            )
            | (
                Role::Finance,
                Action::ManagePeople | Action::ManageSettings | Action::ManageDevelopers,
            )
            | (Role::Viewer, _) => false,
        }
    }

    /// Whether this role must use a second factor to sign in at all (owners do; others need it
    /// only for what moves live money).
    pub const fn requires_second_factor(self) -> bool {
        matches!(self, Role::Owner)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An e-mail address as the dashboard keeps it: trimmed and lower-cased, one `@` with text on
/// both sides, at most 254 characters, no spaces or control characters. Not a full RFC 5322
/// parser: the address only needs to be what the person types to sign in.
pub fn normalize_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && e.chars().all(|c| !c.is_whitespace() && !c.is_control());
    ok.then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_only_owners_manage_people() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert!(!r.may(Action::ManagePeople) || r == Role::Owner);
        }
        assert!(Role::Finance.may(Action::MoveMoney));
        assert!(!Role::Developer.may(Action::MoveMoney));
        assert!(Role::Developer.may(Action::ManageDevelopers));
        assert!(!Role::Viewer.may(Action::Export));
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("  Ana@Loja.CV "),
            Some("ana@loja.cv".to_owned())
        );
        for bad in [
            "",
            "ana",
            "@loja.cv",
            "ana@",
            "ana@loja",
            "a na@loja.cv",
            "a@b@c.cv",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
