//! The checkout page in a real browser (headless Debian chromium, phone-sized, through
//! chromedriver): paying with JavaScript on and off, failure then retry, expiry while waiting,
//! cancel, a second tab, each of the three languages. Screenshots land in
//! `target/checkout-screens/` for people to look at.

use crate::both;
use crate::checkout::{create_session, xaf_session};
use crate::harness::TestApp;
use crate::webdriver::{Browser, Setup};
use serde_json::json;
use std::time::{Duration, Instant};

async fn session_field(app: &TestApp, id: &str, field: &str) -> serde_json::Value {
    let (_, v) = app.get(&format!("/v1/checkout/sessions/{id}")).await;
    v[field].clone()
}

async fn until_selected(b: &Browser, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !b.selected(css).await {
        assert!(Instant::now() < deadline, "{css} was never selected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn pays_in_french_with_javascript(app: TestApp) -> Option<TestApp> {
    let setup = Setup {
        languages: "fr-FR,fr",
        javascript: true,
    };
    let Some(b) = Browser::start("pays_in_french_with_javascript", setup).await else {
        return Some(app);
    };
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap();
    b.goto(s["url"].as_str().unwrap()).await;
    let html = b.wait_for("Payer Sandbox merchant").await;
    assert!(html.contains("lang=\"fr\""));
    // The script suggests the operator from the number as it is typed (national form).
    b.type_into("#phone", "690 000 789").await;
    until_selected(&b, "input[value=orange_cm]").await;
    b.type_into("#phone", "670000789").await;
    until_selected(&b, "input[value=mtn_cm]").await;
    b.screenshot("fr-form").await;
    b.click("form.pay button[type=submit]").await;
    b.wait_for("Validez le paiement sur votre téléphone").await;
    b.screenshot("fr-waiting").await;
    assert_eq!(session_field(&app, id, "attempts").await, 1);
    // The payment completes; the page notices by itself (the script polls its status).
    app.steps(5).await;
    let html = b.wait_for("Paiement reçu").await;
    b.screenshot("fr-paid").await;
    assert!(html.contains(&format!("checkout_session_id={id}")));
    assert_eq!(session_field(&app, id, "status").await, "completed");
    b.quit().await;
    Some(app)
}

async fn fails_then_retries_in_portuguese_without_javascript(app: TestApp) -> Option<TestApp> {
    let setup = Setup {
        languages: "pt-MZ,pt",
        javascript: false,
    };
    let Some(b) =
        Browser::start("fails_then_retries_in_portuguese_without_javascript", setup).await
    else {
        return Some(app);
    };
    let s = create_session(
        &app,
        json!({"amount": 2500, "currency": "XOF", "return_url": "https://loja.example/ok", "description": "Bilhete"}),
    )
    .await;
    let id = s["id"].as_str().unwrap();
    b.goto(s["url"].as_str().unwrap()).await;
    b.wait_for("lang=\"pt\"").await;
    // …049: not enough money.
    b.type_into("#phone", "+225 07 00 00 00 49").await;
    b.click("input[value=orange_ci]").await;
    b.click("form.pay button[type=submit]").await;
    b.wait_for("Confirme o pagamento no seu telefone").await;
    app.steps(3).await;
    // Without JavaScript the customer asks (the page also refreshes itself every 5 s).
    b.click("main a.button").await;
    let html = b.wait_for("O pagamento não foi concluído").await;
    assert!(html.contains("O saldo da conta é insuficiente"), "{html}");
    b.screenshot("pt-failed").await;
    // Retry with another number and operator.
    b.type_into("#phone", "+2250500000789").await;
    b.click("input[value=mtn_ci]").await;
    b.click("form.pay button[type=submit]").await;
    b.wait_for("Confirme o pagamento").await;
    app.steps(5).await;
    b.click("main a.button").await;
    b.wait_for("Pagamento recebido").await;
    b.screenshot("pt-paid").await;
    assert_eq!(session_field(&app, id, "attempts").await, 2);
    assert_eq!(session_field(&app, id, "status").await, "completed");
    b.quit().await;
    Some(app)
}

async fn expires_while_waiting_in_english(app: TestApp) -> Option<TestApp> {
    let setup = Setup {
        languages: "en-GB,en",
        javascript: true,
    };
    let Some(b) = Browser::start("expires_while_waiting_in_english", setup).await else {
        return Some(app);
    };
    let s = create_session(
        &app,
        json!({"amount": 1000, "currency": "XOF", "return_url": "https://shop.example/ok",
               "cancel_url": "https://shop.example/back", "expires_in_minutes": 5}),
    )
    .await;
    b.goto(s["url"].as_str().unwrap()).await;
    b.wait_for("lang=\"en\"").await;
    // …059: the payer never answers.
    b.type_into("#phone", "+2250700000059").await;
    b.click("input[value=orange_ci]").await;
    b.click("form.pay button[type=submit]").await;
    b.wait_for("Approve the payment on your phone").await;
    b.screenshot("en-waiting").await;
    app.steps(2).await;
    app.advance(Duration::from_secs(300)).await;
    let html = b.wait_for("This payment link has expired").await;
    assert!(html.contains("https://shop.example/back?checkout_session_id="));
    b.screenshot("en-expired").await;
    b.quit().await;
    Some(app)
}

async fn cancels_and_switches_language(app: TestApp) -> Option<TestApp> {
    let setup = Setup {
        languages: "en",
        javascript: false,
    };
    let Some(b) = Browser::start("cancels_and_switches_language", setup).await else {
        return Some(app);
    };
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap();
    b.goto(s["url"].as_str().unwrap()).await;
    b.wait_for("Pay Sandbox merchant").await;
    // The switch, then a form: the chosen language sticks.
    b.click("footer a[hreflang=fr]").await;
    b.wait_for("Choisissez votre opérateur").await;
    b.click("form.cancel button").await;
    let html = b.wait_for("Paiement annulé").await;
    assert!(html.contains("https://shop.example/cart?checkout_session_id="));
    b.screenshot("fr-cancelled").await;
    assert_eq!(session_field(&app, id, "status").await, "cancelled");
    b.quit().await;
    Some(app)
}

async fn a_second_tab_cannot_pay_again(app: TestApp) -> Option<TestApp> {
    let setup = Setup {
        languages: "fr",
        javascript: true,
    };
    let Some(b) = Browser::start("a_second_tab_cannot_pay_again", setup).await else {
        return Some(app);
    };
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap();
    let url = s["url"].as_str().unwrap();
    b.goto(url).await;
    b.wait_for("Payer Sandbox merchant").await;
    let first = b.new_tab().await;
    b.goto(url).await;
    b.wait_for("Payer Sandbox merchant").await;
    let second = b.handle().await;
    // Pay in the first tab.
    b.switch_to(&first).await;
    b.type_into("#phone", "+237670000789").await;
    b.click("input[value=mtn_cm]").await;
    b.click("form.pay button[type=submit]").await;
    b.wait_for("Validez le paiement").await;
    app.steps(5).await;
    b.wait_for("Paiement reçu").await;
    // The second tab still shows the form from before; sending it shows the receipt.
    b.switch_to(&second).await;
    assert!(b.source().await.contains("form method=\"post\""));
    b.type_into("#phone", "+237690000789").await;
    b.click("input[value=orange_cm]").await;
    b.click("form.pay button[type=submit]").await;
    b.wait_for("Paiement reçu").await;
    assert_eq!(session_field(&app, id, "attempts").await, 1);
    let (_, list) = app.get("/v1/payments?limit=10").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    b.quit().await;
    Some(app)
}

async fn pays_with_the_keyboard_alone(app: TestApp) -> Option<TestApp> {
    let setup = Setup {
        languages: "fr",
        javascript: false,
    };
    let Some(b) = Browser::start("pays_with_the_keyboard_alone", setup).await else {
        return Some(app);
    };
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap();
    b.goto(s["url"].as_str().unwrap()).await;
    b.wait_for("Choisissez votre opérateur").await;
    // Tab reaches the operators first, the arrow keys choose, Tab goes on to the number, then
    // to the button, and Enter sends the form.
    b.press("\u{E004}").await;
    assert_eq!(b.focused("value").await, "orange_cm");
    b.press("\u{E015}").await;
    until_selected(&b, "input[value=mtn_cm]").await;
    b.press("\u{E004}").await;
    assert_eq!(b.focused("id").await, "phone");
    b.press("670000789").await;
    b.press("\u{E004}").await;
    assert_eq!(b.focused("type").await, "submit");
    b.press("\u{E007}").await;
    b.wait_for("Validez le paiement").await;
    let (_, v) = app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(v["latest_attempt"]["operator"], "mtn_cm");
    assert_eq!(v["latest_attempt"]["phone"], "+237670000789");
    b.quit().await;
    Some(app)
}

both!(
    pays_with_the_keyboard_alone,
    pays_in_french_with_javascript,
    fails_then_retries_in_portuguese_without_javascript,
    expires_while_waiting_in_english,
    cancels_and_switches_language,
    a_second_tab_cannot_pay_again,
);
