//! The dashboard in a real browser (headless Debian chromium, phone-sized), with axe-core run on
//! every view: an owner takes their link, enrols a second factor and signs in with it (in
//! French, JavaScript on: axe-core needs it), looks at the test payments; they invite a finance
//! person, who signs up by the link and refunds part of a payment (in Portuguese, JavaScript
//! off, as the dashboard needs none), then marks a bank payment nobody could match for return,
//! from the exceptions queue. A developer (in English, on a 360 px screen) signs in and rolls a
//! key with the keyboard alone; a viewer's forged refund is refused, and their session ends
//! when idle too long. Every view is checked to fit the screen. Screenshots land in
//! `target/dashboard-screens/`.

use crate::axe;
use crate::both;
use crate::collections::{erv_bill, ingest, report};
use crate::dashboard::{code_now, invited};
use crate::harness::TestApp;
use crate::webdriver::{Browser, Setup};
use kumbu_core::Role;

const PASSWORD: &str = "correct horse battery staple";

/// A screenshot of the view, and its accessibility check where the browser runs scripts: axe,
/// and that nothing makes the page wider than the screen (a table scrolls in its own box).
async fn view(b: &Browser, axe_js: Option<&str>, name: &str) {
    b.screenshot_in("dashboard-screens", name).await;
    if let Some(axe_js) = axe_js {
        axe::check(b, axe_js, name).await;
        let v = b
            .execute("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        let (page, screen) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
        assert!(
            page <= screen,
            "{name}: the page is {page} px wide on a {screen} px screen"
        );
    }
}

/// Presses Tab until the focused element's `attribute` is `value`, in at most `max` presses:
/// the keyboard reaches it.
async fn tab_to(b: &Browser, attribute: &str, value: &str, max: usize) {
    for _ in 0..max {
        b.press("\u{E004}").await;
        if b.focused(attribute).await == value {
            return;
        }
    }
    panic!("{attribute}={value} is not reached in {max} presses of Tab");
}

async fn set_password(b: &Browser) {
    b.type_into("#password", PASSWORD).await;
    b.type_into("#repeat", PASSWORD).await;
    b.click("form button[type=submit]").await;
}

/// A browser in English, JavaScript on, on the smallest phone screen in common use (360 px).
async fn small_english_phone() -> Option<Browser> {
    let setup = Setup {
        languages: "en-GB,en",
        javascript: true,
    };
    let b = Browser::start("a_developer_and_a_viewer_in_english", setup).await?;
    b.resize(360, 740).await;
    Some(b)
}

/// A person invited as `role` takes their link in `b` and sets their password.
async fn signed_up(b: &Browser, app: &TestApp, email: &str, role: Role) {
    let link = invited(app, email, role).await;
    b.goto(&app.url(&link)).await;
    b.wait_for("Welcome to Kumbu").await;
    set_password(b).await;
    b.wait_for("Password saved").await;
}

async fn sign_in(b: &Browser, app: &TestApp, email: &str) {
    b.goto(&app.url("/dashboard/login")).await;
    b.type_into("#email", email).await;
    b.type_into("#password", PASSWORD).await;
    b.click("form button[type=submit]").await;
}

/// A bank payment for a reference no bill has (an `unmatched` exception); its id.
async fn an_exception(app: &TestApp) -> String {
    let merchant = app.sandbox_merchant().await;
    app.engine.set_erv_entity(&merchant, "90002").await.unwrap();
    let b = erv_bill(app, 300_000, false).await;
    let mut stray = report("BANK-1", &b, 74_400, "completed");
    stray["reference_number"] = "00620400869".into();
    let v = ingest(app, &stray).await;
    assert_eq!(v["outcome"], "unmatched");
    v["id"].as_str().unwrap().to_owned()
}

async fn an_owner_and_their_finance_person_in_a_browser(app: TestApp) -> Option<TestApp> {
    let Some(axe_js) = axe::source("an_owner_and_their_finance_person_in_a_browser") else {
        return Some(app);
    };
    let setup = Setup {
        languages: "fr-FR,fr",
        javascript: true,
    };
    let Some(b) = Browser::start("an_owner_and_their_finance_person_in_a_browser", setup).await
    else {
        return Some(app);
    };
    // The owner's link: choose a password.
    let link = invited(&app, "ana@loja.cv", Role::Owner).await;
    b.goto(&app.url(&link)).await;
    b.wait_for("Bienvenue sur Kumbu").await;
    view(&b, Some(&axe_js), "welcome-fr").await;
    set_password(&b).await;
    b.wait_for("Mot de passe enregistré").await;
    view(&b, Some(&axe_js), "login-fr").await;
    // Sign in: an owner must enrol a second factor first.
    b.type_into("#email", "ana@loja.cv").await;
    b.type_into("#password", PASSWORD).await;
    b.click("form button[type=submit]").await;
    b.wait_for("Activer la vérification en deux étapes").await;
    view(&b, Some(&axe_js), "enrol-fr").await;
    let secret = b.text("#totp-secret").await;
    b.type_into("#password", PASSWORD).await;
    b.type_into("#code", "000000").await;
    b.click("form button[type=submit]").await;
    b.wait_for("Ce code n'est pas bon").await;
    // A refused code brings a new key.
    let secret_after = b.text("#totp-secret").await;
    assert_ne!(secret, secret_after);
    b.type_into("#password", PASSWORD).await;
    b.type_into("#code", &code_now(&app, &secret_after)).await;
    b.click("form button[type=submit]").await;
    b.wait_for("Codes de secours").await;
    view(&b, Some(&axe_js), "recovery-codes-fr").await;
    b.click("a.button.primary").await;
    b.wait_for("Soldes · Données réelles").await;
    view(&b, Some(&axe_js), "home-fr").await;

    // Signed out, then in again: the code from the app.
    b.click("header form button[type=submit]").await;
    b.wait_for("Connexion au tableau de bord Kumbu").await;
    sign_in(&b, &app, "ana@loja.cv").await;
    b.wait_for("Vérification en deux étapes").await;
    view(&b, Some(&axe_js), "second-factor-fr").await;
    app.clock.advance(std::time::Duration::from_secs(30));
    b.type_into("#code", &code_now(&app, &secret_after)).await;
    b.click("main form button.primary").await;
    b.wait_for("Soldes").await;

    // People: invite a finance person; the link is shown once.
    b.goto(&app.url("/dashboard/people")).await;
    b.wait_for("Inviter une personne").await;
    view(&b, Some(&axe_js), "people-fr").await;
    b.type_into("#email", "bea@loja.cv").await;
    b.click("#role option[value=finance]").await;
    b.click("section form button.primary").await;
    b.wait_for("Envoyez ce lien").await;
    let invitation = b.text("#invite-link").await;
    // Payments, in test mode (the switch), with a settled one to open.
    let paid = app.create(5_000, "+2250700000789").await;
    app.steps(5).await;
    let paid_id = paid["id"].as_str().unwrap();
    b.goto(&app.url("/dashboard/view/test?next=/dashboard/payments"))
        .await;
    b.wait_for("Mode test : données de test").await;
    view(&b, Some(&axe_js), "payments-fr").await;
    b.goto(&app.url(&format!("/dashboard/payments/{paid_id}")))
        .await;
    b.wait_for("Historique").await;
    view(&b, Some(&axe_js), "payment-fr").await;
    // A bank payment reconciliation could not match: an exception for a person.
    let exception = an_exception(&app).await;
    let exception_page = format!("/dashboard/collections/exceptions/{exception}");
    let (_, events) = app.get("/v1/events").await;
    let event_page = format!(
        "/dashboard/developers/events/{}",
        events["data"][0]["id"].as_str().unwrap()
    );
    for (path, name) in [
        ("/dashboard/settings/connectors", "connectors-fr"),
        ("/dashboard/settings/branding", "branding-fr"),
        ("/dashboard/settings/entity", "entity-fr"),
        ("/dashboard/developers/webhooks", "webhooks-fr"),
        ("/dashboard/developers/events", "events-fr"),
        (event_page.as_str(), "event-fr"),
        ("/dashboard/collections", "exceptions-fr"),
        (exception_page.as_str(), "exception-fr"),
        ("/dashboard/collections/requests", "bills-fr"),
        ("/dashboard/collections/report", "reconciliation-fr"),
        ("/dashboard/collections/upload", "bank-file-fr"),
        ("/dashboard/refunds", "refunds-fr"),
        ("/dashboard/payouts", "payouts-fr"),
        ("/dashboard/checkout-sessions", "checkout-sessions-fr"),
        ("/dashboard/references", "references-fr"),
        ("/dashboard/developers/keys", "keys-fr"),
        ("/dashboard/audit", "audit-fr"),
        ("/dashboard/security", "security-fr"),
    ] {
        b.goto(&app.url(path)).await;
        b.wait_for("Kumbu").await;
        view(&b, Some(&axe_js), name).await;
    }
    b.quit().await;

    // Bea, in Portuguese, signs up by the link: no second factor asked of finance, and no
    // People page for her.
    let setup = Setup {
        languages: "pt-PT,pt",
        javascript: false,
    };
    let Some(b) = Browser::start("an_owner_and_their_finance_person_in_a_browser", setup).await
    else {
        return Some(app);
    };
    b.goto(&invitation).await;
    b.wait_for("Bem-vindo ao Kumbu").await;
    view(&b, None, "welcome-pt").await;
    set_password(&b).await;
    b.wait_for("Palavra-passe guardada").await;
    sign_in(&b, &app, "bea@loja.cv").await;
    let home = b.wait_for("Saldos").await;
    assert!(
        !home.contains("/dashboard/people\""),
        "no People link for finance"
    );
    view(&b, None, "home-pt").await;
    b.goto(&app.url("/dashboard/people")).await;
    b.wait_for("A sua função (finanças) não o permite").await;
    view(&b, None, "refused-pt").await;
    // Finance refunds part of the payment, with JavaScript off.
    b.goto(&app.url("/dashboard/view/test?next=/dashboard/payments"))
        .await;
    b.wait_for("Modo de teste").await;
    b.goto(&app.url(&format!("/dashboard/payments/{paid_id}")))
        .await;
    b.wait_for("Reembolsar").await;
    b.type_into("#refund-amount", "1500").await;
    b.click("section form input[name=confirm]").await;
    b.click("section form button.primary").await;
    b.wait_for("Histórico").await;
    view(&b, None, "payment-refunded-pt").await;
    let (_, refunds) = app.get(&format!("/v1/refunds?payment={paid_id}")).await;
    assert_eq!(refunds["data"][0]["amount"], 1500, "{refunds}");
    // …and marks the exception for return, from the queue.
    b.goto(&app.url("/dashboard/collections")).await;
    b.wait_for("Exceções por tratar").await;
    view(&b, None, "exceptions-pt").await;
    b.click(&format!("a[href='{exception_page}']")).await;
    b.wait_for("Marcar para devolução").await;
    b.type_into("#return-note", "não é nosso").await;
    b.click("form:has(#return-note) input[name=confirm]").await;
    b.click("form:has(#return-note) button").await;
    b.wait_for("return, por bea@loja.cv").await;
    view(&b, None, "exception-returned-pt").await;
    let (_, decided) = app.get(&format!("/v1/ingested_payments/{exception}")).await;
    assert_eq!(decided["decision"]["resolution"], "return", "{decided}");
    b.quit().await;
    Some(app)
}

/// In English, JavaScript on: a developer signs in with the keyboard only (Tab, typing, Enter)
/// and rolls the sandbox key with no overlap, after which the old key is refused; a viewer sees
/// no refund form, and a refund forged from a script in their browser (a form without the
/// session's token) is refused and refunds nothing.
async fn a_developer_and_a_viewer_in_english(app: TestApp) -> Option<TestApp> {
    let Some(axe_js) = axe::source("a_developer_and_a_viewer_in_english") else {
        return Some(app);
    };
    let paid = app.create(5_000, "+2250700000789").await;
    app.steps(5).await;
    let paid_id = paid["id"].as_str().unwrap().to_owned();
    let Some(b) = small_english_phone().await else {
        return Some(app);
    };
    signed_up(&b, &app, "dev@loja.cv", Role::Developer).await;
    // The forgotten-password page (this gateway sends no e-mail: it says who makes links).
    b.goto(&app.url("/dashboard/forgot")).await;
    b.wait_for("kumbu user reset-link").await;
    view(&b, Some(&axe_js), "forgot-en").await;
    // Keyboard only: Tab from the top of the page reaches the address first, Tab again the
    // password; Enter signs in.
    b.goto(&app.url("/dashboard/login")).await;
    b.wait_for("Sign in to the Kumbu dashboard").await;
    b.press("\u{E004}").await;
    assert_eq!(b.focused("id").await, "email", "the address comes first");
    b.press("dev@loja.cv").await;
    b.press("\u{E004}").await;
    assert_eq!(b.focused("id").await, "password");
    b.press(PASSWORD).await;
    b.press("\u{E007}").await;
    b.wait_for("Signed in as dev@loja.cv (developer)").await;
    view(&b, Some(&axe_js), "home-en").await;
    // Roll the sandbox key with no overlap, by keyboard: Tab to the overlap, Home for its
    // first choice (none), Tab to Roll, Enter. The old key stops at once.
    b.goto(&app.url("/dashboard/developers/keys")).await;
    b.wait_for("API keys").await;
    view(&b, Some(&axe_js), "keys-en").await;
    tab_to(&b, "name", "overlap", 40).await;
    b.press("\u{E011}").await;
    let chosen = b.execute("return document.activeElement.value").await;
    assert_eq!(chosen, "0", "Home chose the first overlap");
    b.press("\u{E004}").await;
    assert_eq!(b.focused("type").await, "submit", "Roll comes next");
    b.press("\u{E007}").await;
    b.wait_for("it will not be shown again").await;
    view(&b, Some(&axe_js), "key-rolled-en").await;
    let (old, _, _) = app
        .send(reqwest::Method::GET, "/v1/payments", None, &[])
        .await;
    assert_eq!(
        old,
        reqwest::StatusCode::UNAUTHORIZED,
        "the old key is refused"
    );
    b.quit().await;

    // A viewer: no refund form; a forged one is refused.
    let Some(b) = small_english_phone().await else {
        return Some(app);
    };
    signed_up(&b, &app, "vi@loja.cv", Role::Viewer).await;
    sign_in(&b, &app, "vi@loja.cv").await;
    b.wait_for("Signed in as vi@loja.cv (viewer)").await;
    b.goto(&app.url("/dashboard/view/test?next=/dashboard/payments"))
        .await;
    b.goto(&app.url(&format!("/dashboard/payments/{paid_id}")))
        .await;
    let page = b.wait_for("Timeline").await;
    assert!(!page.contains("/refund\""), "no refund form for a viewer");
    view(&b, Some(&axe_js), "payment-viewer-en").await;
    b.execute(&format!(
        "const f = document.createElement('form'); f.method = 'post'; \
         f.action = '/dashboard/payments/{paid_id}/refund'; \
         for (const [k, v] of [['amount', '10'], ['confirm', '1'], ['once', 'AAAAAAAAAAAAAAAAAAAAAAAA']]) {{ \
           const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }} \
         document.body.appendChild(f); f.submit();"
    ))
    .await;
    b.wait_for("This form has expired").await;
    view(&b, Some(&axe_js), "forged-en").await;
    // Idle for longer than a session lasts (30 minutes): the next page is the sign-in page.
    b.goto(&app.url("/dashboard/payments")).await;
    b.wait_for("Payments").await;
    app.advance(std::time::Duration::from_secs(31 * 60)).await;
    b.goto(&app.url(&format!("/dashboard/payments/{paid_id}")))
        .await;
    b.wait_for("Sign in to the Kumbu dashboard").await;
    view(&b, Some(&axe_js), "expired-en").await;
    b.quit().await;
    // (The sandbox key was rolled away above: ask the engine.)
    let auth = app.sandbox_auth(kumbu_core::Mode::Test).await;
    let (refunds, _) = app
        .engine
        .list_refunds(&auth, Some(&paid_id), None, 10)
        .await
        .unwrap();
    assert!(refunds.is_empty(), "nothing was refunded");
    Some(app)
}

both!(
    an_owner_and_their_finance_person_in_a_browser,
    a_developer_and_a_viewer_in_english
);
