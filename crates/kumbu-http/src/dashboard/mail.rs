//! The dashboard's two e-mails, in the catalogue's languages: an invitation (in the inviter's
//! language, the best guess of the business's) and a password-reset link (in the language of
//! the browser that asked). Sending is [`crate::mail`].

use super::messages::{t, tf, M};
use crate::mail::Letter;
use kumbu_core::Locale;
use kumbu_engine::Person;

/// The invitation of `person`, by `inviter`, to `business`, with their one-time `link`.
pub(super) fn invitation(
    locale: Locale,
    person: &Person,
    (inviter, business): (&str, &str),
    link: &str,
) -> Letter {
    let role = t(locale, M::role(person.role));
    Letter {
        to: person.email.clone(),
        subject: tf(
            locale,
            M::MailInviteSubject,
            &[("inviter", inviter), ("business", business)],
        ),
        body: tf(
            locale,
            M::MailInviteBody,
            &[
                ("inviter", inviter),
                ("business", business),
                ("role", role),
                ("link", link),
            ],
        ),
    }
}

/// A new-password `link` for `person`, asked for from `source`.
pub(super) fn reset(locale: Locale, person: &Person, source: &str, link: &str) -> Letter {
    Letter {
        to: person.email.clone(),
        subject: t(locale, M::MailResetSubject).to_owned(),
        body: tf(
            locale,
            M::MailResetBody,
            &[("email", &person.email), ("source", source), ("link", link)],
        ),
    }
}
