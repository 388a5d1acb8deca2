//! E-mail to people of a merchant (`--smtp-url`): the dashboard's invitations and password-reset
//! links, sent through an SMTP relay by lettre. Plain text, one recipient, nothing else: a
//! gateway is not a mailing list.
//!
//! The relay's URL carries its password, so it is never logged: only its host and port are.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// How long one message may take to hand to the relay (connecting included).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and as whom the gateway sends e-mail.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://host:25` (plain, a relay on this machine or network), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (TLS from the start).
    pub url: SecretString,
    /// The `From` of every message, e.g. `Kumbu <no-reply@pay.example.com>`.
    pub from: String,
}

/// A message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// Their address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The text.
    pub body: String,
}

/// Sends [`Letter`]s through the configured relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    relay: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("relay", &self.relay)
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The settings cannot work (told at start-up).
    #[error("{0}")]
    Settings(String),
    /// The address cannot receive mail.
    #[error("{0} is not an address mail can be sent to")]
    Address(String),
    /// The relay refused or could not be reached.
    #[error("the mail server at {relay} did not take the message: {reason}")]
    Relay {
        /// `host:port`.
        relay: String,
        /// What went wrong (never the URL's password).
        reason: String,
    },
}

impl Mailer {
    /// A mailer for `settings`; nothing is connected until the first message. Call it inside
    /// the Tokio runtime (its connection pool runs there).
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let url = settings.url.expose_secret();
        let parsed = url::Url::parse(url).map_err(|e| {
            MailError::Settings(format!(
                "--smtp-url is not a URL ({e}); e.g. smtp://localhost:25 or smtps://user:password@mail.example.com"
            ))
        })?;
        let relay = format!(
            "{}:{}",
            parsed.host_str().unwrap_or_default(),
            parsed.port().map_or_else(
                || match parsed.scheme() {
                    "smtps" => "465".to_owned(),
                    _ if parsed.query().is_some_and(|q| q.contains("tls=")) => "587".to_owned(),
                    _ => "25".to_owned(),
                },
                |p| p.to_string()
            )
        );
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                MailError::Settings(format!(
                    "--smtp-url: {e}; the schemes are smtp:// (add ?tls=required for STARTTLS) and smtps://"
                ))
            })?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = settings.from.parse::<Mailbox>().map_err(|e| {
            MailError::Settings(format!(
                "--smtp-from {:?} is not an address ({e}); e.g. \"Kumbu <no-reply@pay.example.com>\"",
                settings.from
            ))
        })?;
        Ok(Self {
            transport,
            from,
            relay,
        })
    }

    /// `host:port` of the relay (for logs and messages; never its credentials).
    pub fn relay(&self) -> &str {
        &self.relay
    }

    /// Hands `letter` to the relay; `Ok` once the relay has accepted it.
    pub async fn send(&self, letter: &Letter) -> Result<(), MailError> {
        let to = letter
            .to
            .parse::<Mailbox>()
            .map_err(|_| MailError::Address(letter.to.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject.clone())
            // RFC 3834: no out-of-office answers to a machine.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body.clone())
            .map_err(|e| MailError::Address(format!("{} ({e})", letter.to)))?;
        let relayed = tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await;
        let reason = match relayed {
            Ok(Ok(_)) => {
                metrics::counter!("kumbu_mail_total", "outcome" => "sent").increment(1);
                return Ok(());
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer in {} s", SEND_TIMEOUT.as_secs()),
        };
        metrics::counter!("kumbu_mail_total", "outcome" => "failed").increment(1);
        Err(MailError::Relay {
            relay: self.relay.clone(),
            reason,
        })
    }

    /// Whether the relay answers (an SMTP `NOOP`), for a warning at start-up.
    pub async fn check(&self) -> Result<(), MailError> {
        let answered = tokio::time::timeout(SEND_TIMEOUT, self.transport.test_connection()).await;
        let reason = match answered {
            Ok(Ok(true)) => return Ok(()),
            Ok(Ok(false)) => "it closed the connection".to_owned(),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer in {} s", SEND_TIMEOUT.as_secs()),
        };
        Err(MailError::Relay {
            relay: self.relay.clone(),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, from: &str) -> MailSettings {
        MailSettings {
            url: SecretString::from(url.to_owned()),
            from: from.to_owned(),
        }
    }

    #[tokio::test]
    async fn settings_are_checked_and_the_password_never_shown() {
        let m = Mailer::new(&settings(
            "smtps://kumbu:s3cret-pass@mail.example.com",
            "Kumbu <no-reply@pay.example.com>",
        ))
        .unwrap();
        assert_eq!(m.relay(), "mail.example.com:465");
        assert!(!format!("{m:?}").contains("s3cret"));
        let m = Mailer::new(&settings(
            "smtp://u:p@mail.example.com?tls=required",
            "a@b.cv",
        ))
        .unwrap();
        assert_eq!(m.relay(), "mail.example.com:587");
        let m = Mailer::new(&settings("smtp://127.0.0.1:2525", "a@b.cv")).unwrap();
        assert_eq!(m.relay(), "127.0.0.1:2525");
        let e = Mailer::new(&settings("http://mail.example.com", "a@b.cv")).unwrap_err();
        assert!(e.to_string().contains("smtps://"), "{e}");
        let e = Mailer::new(&settings("mail.example.com", "a@b.cv")).unwrap_err();
        assert!(e.to_string().contains("not a URL"), "{e}");
        let e = Mailer::new(&settings("smtp://localhost", "not an address")).unwrap_err();
        assert!(e.to_string().contains("--smtp-from"), "{e}");
    }
}
