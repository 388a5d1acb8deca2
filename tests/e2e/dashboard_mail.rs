//! The dashboard's e-mail (`--smtp-url`), against a local SMTP server (mailbox.rs): an owner's
//! invitation arrives in the owner's language with the very link the page showed, and the
//! invited person signs up by it; a forgotten password is answered the same for an address
//! with an account and one without, the link arrives only for the first, changes the password
//! once, and is audited; asking too often is refused. A relay that does not answer costs
//! nothing but the e-mail, and without a relay the page says who can make a link.

use crate::dashboard::{owner, sign_in, take_link, text_of, Browser, PASSWORD};
use crate::harness::{Backend, Opts, TestApp};
use crate::mailbox::Mailbox;
use kumbu_http::MailSettings;
use reqwest::StatusCode;
use secrecy::SecretString;
use std::time::Duration;

const FROM: &str = "Kumbu <no-reply@pay.example.cv>";

fn with_relay(url: &str) -> Opts {
    Opts {
        mail: Some(MailSettings {
            url: SecretString::from(url.to_owned()),
            from: FROM.to_owned(),
        }),
        ..Opts::default()
    }
}

/// The link in a message's text (the line that starts with the gateway's address).
fn link_in(body: &str, app: &TestApp) -> String {
    body.lines()
        .find(|l| l.starts_with(&app.base))
        .unwrap_or_else(|| panic!("no link in {body}"))
        .trim()
        .to_owned()
}

async fn invitations_and_resets_by_email(backend: Backend, test: &str) {
    let mailbox = Mailbox::start();
    let Some(app) = TestApp::spawn_with(backend, test, with_relay(&mailbox.url)).await else {
        return;
    };

    // An owner invites, in French: the page shows the link and says it was e-mailed.
    let (own, _) = owner(&app, "ana@loja.cv").await;
    let mut own = own.speaking("fr");
    own.get("/dashboard/people").await;
    let invited = own
        .post(
            "/dashboard/people",
            &[("email", "Bea@Loja.cv"), ("role", "finance")],
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.html);
    let shown = text_of(&invited.html, "invite-link").expect("the link is shown");
    assert_eq!(
        text_of(&invited.html, "invite-mail").as_deref(),
        Some("Le lien a aussi été envoyé par e-mail à bea@loja.cv.")
    );
    let mail = mailbox.nth_to("bea@loja.cv", 1).await;
    assert_eq!(mail.envelope_from, "no-reply@pay.example.cv");
    assert_eq!(mail.header("to"), Some("bea@loja.cv"));
    assert_eq!(mail.header("from"), Some(FROM));
    assert_eq!(mail.header("auto-submitted"), Some("auto-generated"));
    let subject = mail.header("subject").unwrap();
    assert!(
        subject.starts_with("ana@loja.cv vous invite sur le tableau de bord Kumbu de "),
        "{subject}"
    );
    assert!(mail.body.contains("comme finances"), "{}", mail.body);
    assert!(mail.body.contains("il marche 7 jours"), "{}", mail.body);
    let link = link_in(&mail.body, &app);
    assert_eq!(link, shown, "the e-mail carries the link the page showed");

    // Bea signs up by the e-mailed link and signs in.
    let mut bea = Browser::new(&app);
    let path = link.strip_prefix(&app.base).unwrap().to_owned();
    take_link(&mut bea, &path).await;
    let signed = sign_in(&mut bea, "bea@loja.cv", PASSWORD).await;
    assert_eq!(
        signed.location.as_deref(),
        Some("/dashboard"),
        "{}",
        signed.html
    );

    // A forgotten password: the sign-in page leads to the form.
    let mut someone = Browser::new(&app).speaking("en");
    let login = someone.get("/dashboard/login").await;
    assert!(login.html.contains("href=\"/dashboard/forgot\""));
    let form = someone.get("/dashboard/forgot").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form
        .html
        .contains("a link to choose a new password is e-mailed"));
    // Not an address: 400, naming the field.
    let bad = someone
        .post("/dashboard/forgot", &[("email", "bea at loja")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("The address must be an e-mail address"));
    assert!(bad.html.contains("aria-invalid=\"true\""));
    // An address with no account and one with: the same answer.
    let nobody = someone
        .post("/dashboard/forgot", &[("email", "nobody@loja.cv")])
        .await;
    let bea_asks = someone
        .post("/dashboard/forgot", &[("email", " BEA@loja.cv ")])
        .await;
    assert_eq!(nobody.status, StatusCode::OK);
    assert_eq!(bea_asks.status, StatusCode::OK);
    let said = |html: &str| {
        html.split("role=\"status\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        said(&nobody.html).replace("nobody@loja.cv", "X"),
        said(&bea_asks.html).replace("bea@loja.cv", "X"),
        "the answer tells no one who has an account"
    );
    let reset = mailbox.nth_to("bea@loja.cv", 2).await;
    assert_eq!(reset.header("subject"), Some("Your new Kumbu password"));
    assert!(
        reset.body.contains("from the address 127.0.0.1"),
        "{}",
        reset.body
    );
    assert!(reset.body.contains("it works for one hour"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        mailbox.count_to("nobody@loja.cv"),
        0,
        "no mail to strangers"
    );

    // The reset link: a page of its own; the new password replaces the old, once.
    let reset_path = link_in(&reset.body, &app)
        .strip_prefix(&app.base)
        .unwrap()
        .to_owned();
    let page = someone.get(&reset_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("A new password"), "{}", page.html);
    assert!(page
        .html
        .contains("Choose the new password for bea@loja.cv"));
    let new_password = "another horse battery staple";
    let done = someone
        .post(
            &reset_path,
            &[("password", new_password), ("repeat", new_password)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    // Bea's open session ended with the reset.
    let home = bea.get("/dashboard").await;
    assert_eq!(home.location.as_deref(), Some("/dashboard/login"));
    let old = sign_in(&mut Browser::new(&app), "bea@loja.cv", PASSWORD).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.html);
    let new = sign_in(&mut Browser::new(&app), "bea@loja.cv", new_password).await;
    assert_eq!(new.location.as_deref(), Some("/dashboard"));
    let used = someone.get(&reset_path).await;
    assert_eq!(used.status, StatusCode::NOT_FOUND, "a link works once");

    // The owner sees it all in the audit log.
    let audit = own.get("/dashboard/audit").await;
    for action in [
        "person.invited",
        "person.password_set",
        "person.reset_link",
        "person.password_reset",
    ] {
        assert!(audit.html.contains(action), "{action} in the audit log");
    }

    // Asking again and again for one address is refused within the hour, from wherever (so
    // strangers cannot fill Bea's mailbox), with when to come back: Bea's address has been
    // asked for once; four more from four addresses are taken, the next is not.
    for n in 1..kumbu_http::RESET_REQUESTS_PER_HOUR {
        let mut elsewhere = Browser::at(&app, &format!("203.0.113.{n}"));
        elsewhere.get("/dashboard/forgot").await;
        let taken = elsewhere
            .post("/dashboard/forgot", &[("email", "bea@loja.cv")])
            .await;
        assert_eq!(
            taken.status,
            StatusCode::OK,
            "request {n} from its own address"
        );
    }
    let mut last = Browser::at(&app, "203.0.113.99");
    last.get("/dashboard/forgot").await;
    let refused = last
        .post("/dashboard/forgot", &[("email", "bea@loja.cv")])
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));
    assert!(refused.html.contains("Too many links asked for"));
    // And one source asking for many addresses is refused too.
    let mut busy = Browser::at(&app, "198.51.100.7");
    busy.get("/dashboard/forgot").await;
    let mut statuses = Vec::new();
    for n in 0..=kumbu_http::RESET_REQUESTS_PER_HOUR {
        let p = busy
            .post("/dashboard/forgot", &[("email", &format!("p{n}@loja.cv"))])
            .await;
        statuses.push(p.status);
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    app.finish().await;
}

async fn a_relay_that_does_not_answer_costs_only_the_email(backend: Backend, test: &str) {
    // Nothing listens on this port: the relay is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let Some(app) = TestApp::spawn_with(backend, test, with_relay(&url)).await else {
        return;
    };
    let (mut own, _) = owner(&app, "ana@loja.cv").await;
    own.get("/dashboard/people").await;
    let invited = own
        .post(
            "/dashboard/people",
            &[("email", "bea@loja.cv"), ("role", "viewer")],
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.html);
    assert!(text_of(&invited.html, "invite-link").is_some());
    let said = text_of(&invited.html, "invite-mail").unwrap();
    assert!(
        said.starts_with(
            "The e-mail to bea@loja.cv could not be sent: send them the link yourself"
        ),
        "{said}"
    );
    assert!(
        !said.contains("127.0.0.1"),
        "the relay is the operator's business: {said}"
    );
    // The forgotten-password form answers as always (the failure is in the log).
    let mut someone = Browser::new(&app);
    someone.get("/dashboard/forgot").await;
    let asked = someone
        .post("/dashboard/forgot", &[("email", "bea@loja.cv")])
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.html);
    app.finish().await;
}

async fn without_a_relay_the_page_says_who_makes_links(backend: Backend, test: &str) {
    let Some(app) = TestApp::spawn(backend, test).await else {
        return;
    };
    let mut someone = Browser::new(&app).speaking("pt");
    let page = someone.get("/dashboard/forgot").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Este Kumbu não envia e-mails"));
    assert!(page.html.contains("kumbu user reset-link"));
    assert!(!page.html.contains("<form"), "nothing to send");
    // A form forged anyway (there is none to take a token from) is refused.
    let (mut own, _) = owner(&app, "ana@loja.cv").await;
    let posted = someone
        .post("/dashboard/forgot", &[("email", "ana@loja.cv")])
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    // An invitation shows its link and says nothing of e-mail.
    own.get("/dashboard/people").await;
    let invited = own
        .post(
            "/dashboard/people",
            &[("email", "bea@loja.cv"), ("role", "viewer")],
        )
        .await;
    assert!(text_of(&invited.html, "invite-link").is_some());
    assert!(text_of(&invited.html, "invite-mail").is_none());
    app.finish().await;
}

/// Each scenario on SQLite and on PostgreSQL (with its own relay, so `both!` does not fit).
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use crate::harness::Backend;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(Backend::Sqlite, stringify!($name)).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(Backend::Postgres, stringify!($name)).await;
                }
            }
        )*
    };
}

on_both!(
    invitations_and_resets_by_email,
    a_relay_that_does_not_answer_costs_only_the_email,
    without_a_relay_the_page_says_who_makes_links,
);
