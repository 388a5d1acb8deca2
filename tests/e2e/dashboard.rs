//! The dashboard over HTTP, as a browser without JavaScript uses it (forms, cookies, redirects):
//! people and their links, sign-in with a second factor, roles, sessions, CSRF, the audit log.
//! The real-browser scenarios are in browser.rs.

use crate::both;
use crate::harness::TestApp;
use kumbu_core::{totp, Role};
use kumbu_engine::Actor;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::time::Duration;

/// One browser: its cookies, and the last page's form token.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
    lang: Option<String>,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

/// The value of the first `<input name="{name}" … value="…">` (attribute order as rendered).
fn field(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key)? + key.len();
    Some(html[i..].split('"').next()?.to_owned())
}

/// The text of the element with `id`.
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let key = format!("id=\"{id}\">");
    let i = html.find(&key)? + key.len();
    Some(html[i..].split('<').next()?.to_owned())
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: BTreeMap::new(),
            lang: None,
            csrf: String::new(),
        }
    }

    /// A browser elsewhere: its requests come through this machine's proxy (trusted by
    /// default) for the client at `address`.
    pub fn at(app: &TestApp, address: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", address.parse().unwrap());
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
            ..Self::new(app)
        }
    }

    pub fn speaking(mut self, lang: &str) -> Self {
        self.lang = Some(lang.to_owned());
        self
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn page(&mut self, resp: reqwest::Response) -> Page {
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let page = Page {
            status: resp.status(),
            location: resp
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            headers: resp.headers().clone(),
            html: resp.text().await.unwrap(),
        };
        if let Some(t) = field(&page.html, "csrf") {
            self.csrf = t;
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header());
        if let Some(l) = &self.lang {
            req = req.header("accept-language", l);
        }
        let resp = req.send().await.unwrap();
        self.page(resp).await
    }

    /// Posts a form with the last page's CSRF token (unless the fields name one).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            all.push(("csrf", &csrf));
        }
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(all)
            .finish();
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded");
        // A browser says its languages on every request, forms included.
        if let Some(l) = &self.lang {
            req = req.header("accept-language", l);
        }
        let resp = req.body(body).send().await.unwrap();
        self.page(resp).await
    }

    /// Posts a file as a browser's `multipart/form-data` form does: `fields`, the last page's
    /// CSRF token, and `file` (its field's name, its file name and bytes).
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Page {
        let boundary = "----kumbu-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        let csrf = self.csrf.clone();
        for (k, v) in fields.iter().copied().chain([("csrf", csrf.as_str())]) {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                file.0, file.1
            )
            .as_bytes(),
        );
        body.extend_from_slice(file.2);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.page(resp).await
    }

    pub fn has_session(&self) -> bool {
        self.cookies.contains_key("kumbu_dashboard")
    }
}

/// The code an authenticator app shows now (by the app's clock) for base32 `secret`.
pub fn code_now(app: &TestApp, secret: &str) -> String {
    let secret = totp::from_base32(secret).unwrap();
    totp::code_at_step(&secret, totp::step_at(app.clock.now_unix()))
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Creates a person as `kumbu user create` does and returns their welcome path.
pub async fn invited(app: &TestApp, email: &str, role: Role) -> String {
    let merchant = app.sandbox_merchant().await;
    let link = app
        .engine
        .create_person(&merchant, email, role, &Actor::Command)
        .await
        .unwrap();
    format!("/dashboard/welcome/{}", link.token.expose_secret())
}

/// Sets the password by the welcome link.
pub async fn take_link(b: &mut Browser, path: &str) {
    let page = b.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let done = b
        .post(path, &[("password", PASSWORD), ("repeat", PASSWORD)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/dashboard/login?welcome=1"));
}

/// Signs in by password; returns where the server sent the browser next.
pub async fn sign_in(b: &mut Browser, email: &str, password: &str) -> Page {
    b.get("/dashboard/login").await;
    b.post(
        "/dashboard/login",
        &[("email", email), ("password", password)],
    )
    .await
}

/// An owner who has set a password and enrolled their second factor, signed in: the browser
/// and the TOTP secret.
pub async fn owner(app: &TestApp, email: &str) -> (Browser, String) {
    let mut b = Browser::new(app);
    let link = invited(app, email, Role::Owner).await;
    take_link(&mut b, &link).await;
    let next = sign_in(&mut b, email, PASSWORD).await;
    assert_eq!(
        next.location.as_deref(),
        Some("/dashboard/security/two-factor")
    );
    // Nothing else is open before enrolment.
    let home = b.get("/dashboard").await;
    assert_eq!(
        home.location.as_deref(),
        Some("/dashboard/security/two-factor")
    );
    let enrol = b.get("/dashboard/security/two-factor").await;
    let secret = text_of(&enrol.html, "totp-secret").expect("the secret is shown");
    assert!(
        enrol.html.contains("<svg class=\"qr\"") && enrol.html.contains("role=\"img\""),
        "a QR code of the link for the app"
    );
    let sealed = field(&enrol.html, "enrolment").expect("the enrolment rides in the form");
    // The password is asked again: a stolen session alone cannot enrol its own authenticator.
    let no_password = b
        .post(
            "/dashboard/security/two-factor",
            &[
                ("enrolment", &sealed),
                ("password", "not the password"),
                ("code", &code_now(app, &secret)),
            ],
        )
        .await;
    assert_eq!(no_password.status, StatusCode::BAD_REQUEST);
    assert!(no_password.html.contains("That is not your password."));
    let codes = b
        .post(
            "/dashboard/security/two-factor",
            &[
                ("enrolment", &sealed),
                ("password", PASSWORD),
                ("code", &code_now(app, &secret)),
            ],
        )
        .await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.html);
    assert_eq!(codes.html.matches("<li><code>").count(), 10);
    assert_eq!(b.get("/dashboard").await.status, StatusCode::OK);
    (b, secret)
}

async fn an_owner_signs_in_with_a_second_factor(app: TestApp) -> Option<TestApp> {
    let (mut b, secret) = owner(&app, "Ana@Loja.cv").await;
    let codes_page = b.get("/dashboard/security").await;
    assert!(codes_page.html.contains("Two-step: on"));
    let recovery = b
        .post(
            "/dashboard/security/recovery-codes",
            &[("password", PASSWORD)],
        )
        .await;
    let first_code = recovery
        .html
        .split("<li><code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let out = b.post("/dashboard/logout", &[]).await;
    assert_eq!(out.location.as_deref(), Some("/dashboard/login"));
    assert!(!b.has_session(), "signing out forgets the cookie");

    // A wrong password, then the right one: the second factor is asked.
    let wrong = sign_in(&mut b, "ana@loja.cv", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("Wrong address or password."));
    let next = sign_in(&mut b, "ana@loja.cv", PASSWORD).await;
    assert_eq!(next.location.as_deref(), Some("/dashboard/login/code"));
    assert_eq!(
        b.get("/dashboard").await.location.as_deref(),
        Some("/dashboard/login/code"),
        "nothing before the second factor"
    );
    b.get("/dashboard/login/code").await;
    let bad = b.post("/dashboard/login/code", &[("code", "000000")]).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    // The code used at enrolment is spent: the app's next code is needed.
    let spent = b
        .post(
            "/dashboard/login/code",
            &[("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(
        spent.status,
        StatusCode::UNAUTHORIZED,
        "a code is good once"
    );
    app.clock.advance(Duration::from_secs(30));
    let ok = b
        .post(
            "/dashboard/login/code",
            &[("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/dashboard"));
    assert_eq!(b.get("/dashboard").await.status, StatusCode::OK);

    // A right password does not wipe out wrong codes: five, then the sixth waits, even after
    // signing in again.
    b.post("/dashboard/logout", &[]).await;
    sign_in(&mut b, "ana@loja.cv", PASSWORD).await;
    b.get("/dashboard/login/code").await;
    for _ in 0..5 {
        let wrong = b.post("/dashboard/login/code", &[("code", "000000")]).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    b.post("/dashboard/logout", &[]).await;
    sign_in(&mut b, "ana@loja.cv", PASSWORD).await;
    b.get("/dashboard/login/code").await;
    let waits = b.post("/dashboard/login/code", &[("code", "000000")]).await;
    assert_eq!(
        waits.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        waits.html
    );
    app.clock.advance(Duration::from_secs(61));
    b.get("/dashboard/login/code").await;
    // A recovery code stands in once.
    b.post("/dashboard/logout", &[]).await;
    sign_in(&mut b, "ana@loja.cv", PASSWORD).await;
    b.get("/dashboard/login/code").await;
    let by_recovery = b
        .post(
            "/dashboard/login/code",
            &[("code", &first_code.to_uppercase())],
        )
        .await;
    assert_eq!(by_recovery.location.as_deref(), Some("/dashboard"));
    b.post("/dashboard/logout", &[]).await;
    sign_in(&mut b, "ana@loja.cv", PASSWORD).await;
    b.get("/dashboard/login/code").await;
    let again = b
        .post("/dashboard/login/code", &[("code", &first_code)])
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "a recovery code is good once"
    );

    // The audit log saw it all, from where.
    let mut fresh = Browser::new(&app);
    sign_in(&mut fresh, "ana@loja.cv", PASSWORD).await;
    app.clock.advance(Duration::from_secs(30));
    fresh.get("/dashboard/login/code").await;
    fresh
        .post(
            "/dashboard/login/code",
            &[("code", &code_now(&app, &secret))],
        )
        .await;
    let audit = fresh.get("/dashboard/audit").await;
    for action in [
        "person.invited",
        "person.password_set",
        "person.two_factor_enabled",
        "person.recovery_codes_regenerated",
        "session.sign_in_failed",
        "session.signed_in",
    ] {
        assert!(audit.html.contains(action), "{action} in the audit log");
    }
    assert!(audit.html.contains("127.0.0.1"), "from where");
    let csv = fresh.get("/dashboard/audit.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .html
        .starts_with("at,actor,action,subject,detail,source\r\n"));
    assert!(csv.html.contains("ana@loja.cv,person.two_factor_enabled"));
    Some(app)
}

async fn strangers_and_forged_forms_are_refused(app: TestApp) -> Option<TestApp> {
    let mut stranger = Browser::new(&app);
    for path in [
        "/dashboard",
        "/dashboard/people",
        "/dashboard/audit",
        "/dashboard/audit.csv",
        "/dashboard/security",
    ] {
        let page = stranger.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location.as_deref(), Some("/dashboard/login"), "{path}");
    }
    assert_eq!(
        stranger
            .get("/dashboard/no/such/page")
            .await
            .location
            .as_deref(),
        Some("/dashboard")
    );
    let post = stranger
        .post(
            "/dashboard/people",
            &[("email", "x@y.cv"), ("role", "owner")],
        )
        .await;
    assert_eq!(post.location.as_deref(), Some("/dashboard/login"));

    // Every page carries the pages' protections.
    let login = stranger.get("/dashboard/login").await;
    let csp = login.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(login.headers["x-frame-options"], "DENY");
    assert_eq!(login.headers["cache-control"], "no-store");

    // A sign-in form without its token, or with another browser's, is refused.
    let forged = stranger
        .post(
            "/dashboard/login",
            &[
                ("csrf", "forged"),
                ("email", "a@b.cv"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let (mut owner, _) = owner(&app, "ana@loja.cv").await;
    // A form with no token, or the token of another session, changes nothing.
    let bare = owner
        .post(
            "/dashboard/people",
            &[("csrf", ""), ("email", "eve@loja.cv"), ("role", "owner")],
        )
        .await;
    assert_eq!(bare.status, StatusCode::FORBIDDEN);
    let merchant = app.sandbox_merchant().await;
    assert_eq!(app.engine.people(&merchant).await.unwrap().len(), 1);
    Some(app)
}

async fn owners_invite_and_roles_limit(app: TestApp) -> Option<TestApp> {
    let (mut owner, _) = owner(&app, "ana@loja.cv").await;
    owner.get("/dashboard/people").await;
    let invited_page = owner
        .post(
            "/dashboard/people",
            &[("email", "Bea@Loja.cv"), ("role", "finance")],
        )
        .await;
    assert_eq!(invited_page.status, StatusCode::OK, "{}", invited_page.html);
    let link = text_of(&invited_page.html, "invite-link").expect("the link is shown once");
    assert!(link.starts_with(&app.base), "{link}");
    let again = owner.get("/dashboard/people").await;
    assert!(!again.html.contains(&link), "shown once");
    assert!(again.html.contains("bea@loja.cv"));
    assert!(again.html.contains("Invitation pending"));

    // Finance signs up by the link; no second factor is required of them.
    let mut bea = Browser::new(&app);
    take_link(&mut bea, &link[app.base.len()..]).await;
    let used = bea.get(&link[app.base.len()..]).await;
    assert_eq!(used.status, StatusCode::NOT_FOUND, "a link works once");
    let next = sign_in(&mut bea, "bea@loja.cv", PASSWORD).await;
    assert_eq!(next.location.as_deref(), Some("/dashboard"));
    let home = bea.get("/dashboard").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        !home.html.contains("/dashboard/people\""),
        "no People link for finance"
    );
    let people = bea.get("/dashboard/people").await;
    assert_eq!(people.status, StatusCode::FORBIDDEN);
    // The button is not shown, and the server refuses the request anyway.
    let forged = bea
        .post(
            "/dashboard/people",
            &[("email", "eve@loja.cv"), ("role", "owner")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let merchant = app.sandbox_merchant().await;
    assert_eq!(app.engine.people(&merchant).await.unwrap().len(), 2);

    // An address has one sign-in.
    let twice = owner
        .post(
            "/dashboard/people",
            &[("email", "bea@loja.cv"), ("role", "viewer")],
        )
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.html.contains("already has a Kumbu sign-in"));

    // The owner makes Bea a viewer, then removes her: her session ends at once.
    let bea_id = app
        .engine
        .people(&merchant)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.email == "bea@loja.cv")
        .unwrap()
        .id;
    let changed = owner
        .post(
            &format!("/dashboard/people/{bea_id}"),
            &[("do", "role"), ("role", "viewer")],
        )
        .await;
    assert_eq!(changed.location.as_deref(), Some("/dashboard/people"));
    assert!(bea.get("/dashboard").await.html.contains("(viewer)"));
    let own_id = app
        .engine
        .people(&merchant)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.email == "ana@loja.cv")
        .unwrap()
        .id;
    owner.get("/dashboard/people").await;
    let self_demote = owner
        .post(
            &format!("/dashboard/people/{own_id}"),
            &[("do", "role"), ("role", "viewer")],
        )
        .await;
    assert_eq!(
        self_demote.status,
        StatusCode::BAD_REQUEST,
        "an owner cannot demote themselves"
    );
    let removed = owner
        .post(
            &format!("/dashboard/people/{bea_id}"),
            &[("do", "remove"), ("confirm", "1")],
        )
        .await;
    assert_eq!(removed.location.as_deref(), Some("/dashboard/people"));
    assert_eq!(
        bea.get("/dashboard").await.location.as_deref(),
        Some("/dashboard/login")
    );
    let refused = sign_in(&mut bea, "bea@loja.cv", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let audit = owner.get("/dashboard/audit").await;
    assert!(audit.html.contains("person.role_changed"));
    assert!(audit.html.contains("person.removed"));
    Some(app)
}

async fn sessions_end_when_idle_old_or_signed_out_everywhere(app: TestApp) -> Option<TestApp> {
    let mut b = Browser::new(&app);
    let link = invited(&app, "dev@loja.cv", Role::Developer).await;
    take_link(&mut b, &link).await;
    sign_in(&mut b, "dev@loja.cv", PASSWORD).await;
    assert_eq!(b.get("/dashboard").await.status, StatusCode::OK);
    // Active every 20 minutes: still signed in after an hour.
    for _ in 0..3 {
        app.clock.advance(Duration::from_secs(20 * 60));
        assert_eq!(b.get("/dashboard").await.status, StatusCode::OK);
    }
    // Idle for 31 minutes: signed out.
    app.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(
        b.get("/dashboard").await.location.as_deref(),
        Some("/dashboard/login")
    );
    // However active, 12 hours is the end.
    sign_in(&mut b, "dev@loja.cv", PASSWORD).await;
    for _ in 0..36 {
        app.clock.advance(Duration::from_secs(20 * 60));
        let page = b.get("/dashboard").await;
        if page.status != StatusCode::OK {
            assert_eq!(page.location.as_deref(), Some("/dashboard/login"));
            break;
        }
    }
    assert_ne!(b.get("/dashboard").await.status, StatusCode::OK);

    // Two browsers; signing out everywhere from one ends both.
    let mut phone = Browser::new(&app);
    sign_in(&mut b, "dev@loja.cv", PASSWORD).await;
    sign_in(&mut phone, "dev@loja.cv", PASSWORD).await;
    let security = b.get("/dashboard/security").await;
    assert_eq!(
        security.html.matches("127.0.0.1").count(),
        2,
        "both sessions listed"
    );
    b.post("/dashboard/logout", &[("everywhere", "1")]).await;
    assert_eq!(
        phone.get("/dashboard").await.location.as_deref(),
        Some("/dashboard/login")
    );
    Some(app)
}

async fn failed_sign_ins_slow_down_without_locking_out(app: TestApp) -> Option<TestApp> {
    let mut b = Browser::new(&app);
    let link = invited(&app, "fin@loja.cv", Role::Finance).await;
    take_link(&mut b, &link).await;
    for _ in 0..5 {
        let wrong = sign_in(&mut b, "fin@loja.cv", "wrong password!").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits (and the answer says how long).
    let wait = sign_in(&mut b, "fin@loja.cv", PASSWORD).await;
    assert_eq!(wait.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(wait.headers.contains_key("retry-after"));
    // An unknown address is answered as a wrong password.
    let unknown = sign_in(&mut b, "nobody@loja.cv", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    // Never for long: a minute at most.
    app.clock.advance(Duration::from_secs(61));
    let ok = sign_in(&mut b, "fin@loja.cv", PASSWORD).await;
    assert_eq!(ok.location.as_deref(), Some("/dashboard"));

    // A stranger guessing from elsewhere slows down only themselves: the person, from their own
    // address, signs in at once, and a wrong password of theirs is just wrong.
    let mut stranger = Browser::at(&app, "203.0.113.7");
    for _ in 0..5 {
        let wrong = sign_in(&mut stranger, "fin@loja.cv", "guess, guess!").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let slowed = sign_in(&mut stranger, "fin@loja.cv", "guess again!").await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    let mut own = Browser::at(&app, "198.51.100.20");
    let typo = sign_in(&mut own, "fin@loja.cv", "wrong password!").await;
    assert_eq!(typo.status, StatusCode::UNAUTHORIZED, "{}", typo.html);
    let in_at_once = sign_in(&mut own, "fin@loja.cv", PASSWORD).await;
    assert_eq!(in_at_once.location.as_deref(), Some("/dashboard"));
    // The audit log says where each came from.
    let failures = app
        .engine
        .audit_log(&app.sandbox_merchant().await, None, 100)
        .await
        .unwrap();
    let from = |source: &str| failures.iter().any(|l| l.source.as_deref() == Some(source));
    assert!(from("203.0.113.7") && from("198.51.100.20"));
    Some(app)
}

async fn links_expire_and_pages_speak_three_languages(app: TestApp) -> Option<TestApp> {
    let link = invited(&app, "late@loja.cv", Role::Viewer).await;
    app.clock.advance(Duration::from_secs(7 * 24 * 3600 + 1));
    let mut b = Browser::new(&app).speaking("fr-FR,fr;q=0.9");
    let gone = b.get(&link).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(gone.html.contains("Ce lien ne fonctionne plus"));
    assert!(gone.html.contains("lang=\"fr\""));
    let login = b.get("/dashboard/login").await;
    assert!(login.html.contains("Connexion au tableau de bord Kumbu"));
    // The switch keeps Portuguese, whatever the browser asks.
    let switched = b.get("/dashboard/lang/pt?next=/dashboard/login").await;
    assert_eq!(switched.location.as_deref(), Some("/dashboard/login"));
    assert!(b
        .get("/dashboard/login")
        .await
        .html
        .contains("Entrar no painel Kumbu"));
    // The switch only ever goes back into the dashboard.
    let away = b.get("/dashboard/lang/en?next=//evil.example/").await;
    assert_eq!(away.location.as_deref(), Some("/dashboard"));
    assert!(b
        .get("/dashboard/login")
        .await
        .html
        .contains("Sign in to the Kumbu dashboard"));
    Some(app)
}

both!(
    an_owner_signs_in_with_a_second_factor,
    strangers_and_forged_forms_are_refused,
    owners_invite_and_roles_limit,
    sessions_end_when_idle_old_or_signed_out_everywhere,
    failed_sign_ins_slow_down_without_locking_out,
    links_expire_and_pages_speak_three_languages,
);

/// The record id of the key whose secret is `secret` (by its listed hint).
async fn key_id_of(app: &TestApp, secret: &str) -> String {
    let hint = format!("{}…{}", &secret[..12], &secret[secret.len() - 4..]);
    app.engine
        .api_keys(&app.sandbox_merchant().await)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.hint == hint)
        .expect("the key is listed")
        .id
}

/// Keys in the dashboard: the owner creates one (shown once) and it works; a developer rolls
/// it with an overlap (both work, then only the new one) and revokes another (it stops at
/// once); a viewer sees the list and no button, and is refused anyway; live keys need the
/// second factor; every change is in the audit log.
async fn keys_are_created_rolled_and_revoked(app: TestApp) -> Option<TestApp> {
    let (mut owner, _) = owner(&app, "ana@loja.cv").await;
    let home = owner.get("/dashboard").await;
    assert!(
        home.html.contains("href=\"/dashboard/developers/keys\""),
        "in the navigation"
    );
    owner.get("/dashboard/developers/keys").await;
    let made = owner
        .post("/dashboard/developers/keys", &[("mode", "test")])
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.html);
    let secret = text_of(&made.html, "new-secret").expect("the secret is shown once");
    assert!(secret.starts_with("sk_test_"));
    assert!(!owner
        .get("/dashboard/developers/keys")
        .await
        .html
        .contains(&secret));
    let works = |key: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/v1/balance"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(works(secret.clone()).await, StatusCode::OK);
    let listed = owner.get("/dashboard/developers/keys").await;
    let row = listed
        .html
        .split(&secret[..12])
        .nth(1)
        .expect("the hint is listed");
    let row = row.split("</tr>").next().unwrap();
    assert!(!row.contains(">never<"), "its last use is shown: {row}");

    // A developer, without a second factor, rolls it with an hour's overlap.
    let mut dev = Browser::new(&app);
    let link = invited(&app, "dev@loja.cv", Role::Developer).await;
    take_link(&mut dev, &link).await;
    sign_in(&mut dev, "dev@loja.cv", PASSWORD).await;
    let key_id = key_id_of(&app, &secret).await;
    dev.get("/dashboard/developers/keys").await;
    let rolled = dev
        .post(
            &format!("/dashboard/developers/keys/{key_id}"),
            &[("do", "roll"), ("overlap", "3600")],
        )
        .await;
    assert_eq!(rolled.status, StatusCode::OK, "{}", rolled.html);
    let new_secret = text_of(&rolled.html, "new-secret").unwrap();
    assert_eq!(
        works(secret.clone()).await,
        StatusCode::OK,
        "the old key works during the overlap"
    );
    assert_eq!(works(new_secret.clone()).await, StatusCode::OK);
    app.clock.advance(Duration::from_secs(3601));
    assert_eq!(
        works(secret.clone()).await,
        StatusCode::UNAUTHORIZED,
        "then it stops"
    );
    assert_eq!(works(new_secret.clone()).await, StatusCode::OK);

    // Revoked: refused at once (the developer signs in again: an hour idle ended the session).
    sign_in(&mut dev, "dev@loja.cv", PASSWORD).await;
    dev.get("/dashboard/developers/keys").await;
    let new_id = key_id_of(&app, &new_secret).await;
    let revoked = dev
        .post(
            &format!("/dashboard/developers/keys/{new_id}"),
            &[("do", "revoke"), ("confirm", "1")],
        )
        .await;
    assert_eq!(
        revoked.location.as_deref(),
        Some("/dashboard/developers/keys")
    );
    assert_eq!(works(new_secret).await, StatusCode::UNAUTHORIZED);
    // A revoked key cannot be rolled into a new one (nothing is made, nothing unaudited).
    let keys_before = app
        .engine
        .api_keys(&app.sandbox_merchant().await)
        .await
        .unwrap()
        .len();
    let reroll = dev
        .post(
            &format!("/dashboard/developers/keys/{new_id}"),
            &[("do", "roll"), ("overlap", "0")],
        )
        .await;
    assert_eq!(reroll.status, StatusCode::NOT_FOUND, "{}", reroll.html);
    assert!(text_of(&reroll.html, "new-secret").is_none());
    let keys_after = app
        .engine
        .api_keys(&app.sandbox_merchant().await)
        .await
        .unwrap()
        .len();
    assert_eq!(keys_before, keys_after);

    // A viewer sees the keys, no button, and is refused anyway.
    let mut viewer = Browser::new(&app);
    let link = invited(&app, "vi@loja.cv", Role::Viewer).await;
    take_link(&mut viewer, &link).await;
    sign_in(&mut viewer, "vi@loja.cv", PASSWORD).await;
    let seen = viewer.get("/dashboard/developers/keys").await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.html.contains("name=\"do\""), "no action for a viewer");
    let forged = viewer
        .post("/dashboard/developers/keys", &[("mode", "test")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(text_of(&forged.html, "new-secret").is_none());

    let audit = dev.get("/dashboard/audit").await;
    for action in ["key.created", "key.rolled", "key.revoked"] {
        assert!(audit.html.contains(action), "{action} in the audit log");
    }
    Some(app)
}

both!(keys_are_created_rolled_and_revoked);

/// A finance person at a signed-in browser, and the test data switched on.
pub async fn finance_in_test_mode(app: &TestApp) -> Browser {
    let mut b = Browser::new(app);
    let link = invited(app, "fin@loja.cv", Role::Finance).await;
    take_link(&mut b, &link).await;
    sign_in(&mut b, "fin@loja.cv", PASSWORD).await;
    let live = b.get("/dashboard/payments").await;
    assert!(
        live.html.contains("No payment matches."),
        "live data by default"
    );
    assert!(live.html.contains("Show test data"));
    let switched = b.get("/dashboard/view/test?next=/dashboard/payments").await;
    assert_eq!(switched.location.as_deref(), Some("/dashboard/payments"));
    b
}

/// Payments in the dashboard: the list in the mode of the switch (test unmissably marked),
/// filters, search (phones shown masked), paging, the CSV of the filtered list; a payment's
/// page with its timeline; refund and cancel by finance, audited; refused to a viewer, and live
/// money refused without the second factor.
async fn payments_are_listed_searched_refunded_and_cancelled(app: TestApp) -> Option<TestApp> {
    let paid = app.create(5_000, "+2250700000789").await;
    let paid_id = paid["id"].as_str().unwrap().to_owned();
    let waiting = app.create(1_000, "+2250700000009").await;
    let waiting_id = waiting["id"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        app.create(2_000, "+2250700000456").await;
    }
    app.steps(5).await;
    assert_eq!(app.status_of(&paid_id).await, "settled");

    let mut b = finance_in_test_mode(&app).await;
    let list = b.get("/dashboard/payments").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.html.contains("Test mode: test data, no real money."));
    assert!(list.html.contains(&paid_id) && list.html.contains(&waiting_id));
    assert!(
        !list.html.contains("2250700000789"),
        "phones are shown masked"
    );

    // Filters and search.
    let settled = b
        .get("/dashboard/payments?status=settled&currency=XOF&min=4000")
        .await;
    assert!(settled.html.contains(&paid_id));
    assert!(!settled.html.contains(&waiting_id));
    let by_phone = b.get("/dashboard/payments?q=%2B225+07+00+00+07+89").await;
    assert!(by_phone.html.contains(&paid_id));
    assert_eq!(by_phone.html.matches("/dashboard/payments/pay_").count(), 1);
    let by_id = b.get(&format!("/dashboard/payments?q={paid_id}")).await;
    assert_eq!(
        by_id.location.as_deref(),
        Some(format!("/dashboard/payments/{paid_id}").as_str())
    );
    let bad = b.get("/dashboard/payments?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("Not a date: yesterday"));
    let no_currency = b.get("/dashboard/payments?min=10").await;
    assert!(no_currency
        .html
        .contains("Choose a currency to filter by amount."));

    // The CSV of the filtered list.
    let csv = b.get("/dashboard/payments.csv?status=settled").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        csv.html.lines().count(),
        1 + 4,
        "a header and the 4 settled payments"
    );
    assert!(csv.html.contains(&paid_id) && !csv.html.contains(&waiting_id));

    // A payment's page, and a partial refund.
    let page = b.get(&format!("/dashboard/payments/{paid_id}")).await;
    assert!(page.html.contains("Timeline") && page.html.contains("settled"));
    let once = field(&page.html, "once").expect("a one-time value in the form");
    let refund_form = [
        ("amount", "1500"),
        ("reason", "damaged parcel"),
        ("confirm", "1"),
        ("once", once.as_str()),
    ];
    let refunded = b
        .post(
            &format!("/dashboard/payments/{paid_id}/refund"),
            &refund_form,
        )
        .await;
    assert_eq!(refunded.status, StatusCode::SEE_OTHER, "{}", refunded.html);
    // The same form sent again (a double click, a browser re-sending it) refunds once.
    let again = b
        .post(
            &format!("/dashboard/payments/{paid_id}/refund"),
            &refund_form,
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.html);
    let (_, refunds) = app.get(&format!("/v1/refunds?payment={paid_id}")).await;
    assert_eq!(refunds["data"][0]["amount"], 1500, "{refunds}");
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1, "{refunds}");
    let refund_id = refunds["data"][0]["id"].as_str().unwrap();
    let with_refund = b.get(&format!("/dashboard/payments/{paid_id}")).await;
    assert!(
        with_refund.html.contains(refund_id),
        "the payment's page lists its refunds"
    );
    assert!(with_refund.html.contains("damaged parcel"));
    // Too much is refused in the engine's words, on the payment's page.
    let page = b.get(&format!("/dashboard/payments/{paid_id}")).await;
    let once = field(&page.html, "once").unwrap();
    let too_much = b
        .post(
            &format!("/dashboard/payments/{paid_id}/refund"),
            &[("amount", "1.5"), ("confirm", "1"), ("once", &once)],
        )
        .await;
    assert_eq!(
        too_much.status,
        StatusCode::BAD_REQUEST,
        "{}",
        too_much.html
    );

    // Cancel the payment that waits on its phone.
    let page = b.get(&format!("/dashboard/payments/{waiting_id}")).await;
    let cancel_once = field(&page.html, "once").unwrap();
    let cancelled = b
        .post(
            &format!("/dashboard/payments/{waiting_id}/cancel"),
            &[("confirm", "1"), ("once", &cancel_once)],
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.html
    );
    assert_eq!(app.status_of(&waiting_id).await, "cancelled");

    let audit = b.get("/dashboard/audit").await;
    assert!(audit.html.contains("payment.refunded"));
    assert!(audit.html.contains("payment.cancelled"));

    // Live money needs the second factor (finance has none).
    b.get("/dashboard/view/live?next=/dashboard/payments").await;
    b.get("/dashboard/payments").await;
    let live = b
        .post(
            &format!("/dashboard/payments/{paid_id}/refund"),
            &[("amount", "100"), ("confirm", "1"), ("once", &once)],
        )
        .await;
    assert_eq!(live.status, StatusCode::FORBIDDEN);
    assert!(live.html.contains("two-step verification"));

    // A viewer reads, sees no action, and is refused anyway.
    let mut viewer = Browser::new(&app);
    let link = invited(&app, "vi@loja.cv", Role::Viewer).await;
    take_link(&mut viewer, &link).await;
    sign_in(&mut viewer, "vi@loja.cv", PASSWORD).await;
    viewer.get("/dashboard/view/test").await;
    let seen = viewer.get(&format!("/dashboard/payments/{paid_id}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(
        !seen.html.contains("/refund\""),
        "no refund form for a viewer"
    );
    let forged = viewer
        .post(
            &format!("/dashboard/payments/{paid_id}/refund"),
            &[("amount", "100"), ("confirm", "1"), ("once", &once)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        viewer.get("/dashboard/payments.csv").await.status,
        StatusCode::FORBIDDEN
    );
    let (_, refunds) = app.get(&format!("/v1/refunds?payment={paid_id}")).await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1);
    Some(app)
}

both!(payments_are_listed_searched_refunded_and_cancelled);
