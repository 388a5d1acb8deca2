//! The dashboard in a real browser (headless Debian chromium, phone-sized), with axe-core run on
//! every view: an owner takes their link, enrols a second factor and signs in with it (in
//! French, JavaScript on: axe-core needs it), looks at the test payments; they invite a finance
//! person, who signs up by the link and refunds part of a payment (in Portuguese, JavaScript
//! off, as the dashboard needs none), then marks a bank payment nobody could match for return,
//! from the exceptions queue. Screenshots land in
//! `target/dashboard-screens/`.

use crate::axe;
use crate::both;
use crate::collections::{erv_bill, ingest, report};
use crate::dashboard::{code_now, invited};
use crate::harness::TestApp;
use crate::webdriver::{Browser, Setup};
use kumbu_core::Role;

const PASSWORD: &str = "correct horse battery staple";

/// A screenshot of the view, and its accessibility check where the browser runs scripts.
async fn view(b: &Browser, axe_js: Option<&str>, name: &str) {
    b.screenshot_in("dashboard-screens", name).await;
    if let Some(axe_js) = axe_js {
        axe::check(b, axe_js, name).await;
    }
}

async fn set_password(b: &Browser) {
    b.type_into("#password", PASSWORD).await;
    b.type_into("#repeat", PASSWORD).await;
    b.click("form button[type=submit]").await;
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

both!(an_owner_and_their_finance_person_in_a_browser);
