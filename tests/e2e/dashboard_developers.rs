//! The Developers section over HTTP: webhook endpoints (a new one with its secret shown once,
//! its health, a new secret, disabled and enabled again), the event log, an event's
//! deliveries and sending it again, a test event to one endpoint; by a developer, audited;
//! refused to finance.

use crate::both;
use crate::dashboard::{invited, sign_in, take_link, Browser, PASSWORD};
use crate::harness::TestApp;
use crate::receiver::Receiver;
use kumbu_core::Role;
use reqwest::StatusCode;

fn field(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key).expect("the field is on the page") + key.len();
    html[i..].split('"').next().unwrap().to_owned()
}

fn secret_on(html: &str) -> String {
    let key = "id=\"endpoint-secret\">";
    let i = html.find(key).expect("the secret is shown") + key.len();
    html[i..].split('<').next().unwrap().to_owned()
}

async fn person(app: &TestApp, email: &str, role: Role) -> Browser {
    let mut b = Browser::new(app);
    let link = invited(app, email, role).await;
    take_link(&mut b, &link).await;
    sign_in(&mut b, email, PASSWORD).await;
    b.get("/dashboard/view/test?next=/dashboard").await;
    b
}

async fn webhooks_and_events_in_the_dashboard(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    let mut dev = person(&app, "dev@loja.cv", Role::Developer).await;
    let page = dev.get("/dashboard/developers/webhooks").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("No endpoint."));
    let once = field(&page.html, "once");
    let made = dev
        .post(
            "/dashboard/developers/webhooks",
            &[
                ("once", &once),
                ("url", &rx.url),
                ("events", "*"),
                ("description", "shop"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.html);
    let secret = secret_on(&made.html);
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (_, list) = app.get("/v1/webhook_endpoints").await;
    let endpoint = list["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    // The page again: the secret is not shown back.
    let again = dev.get("/dashboard/developers/webhooks").await;
    assert!(!again.html.contains(&secret));
    assert!(again.html.contains(&endpoint) && again.html.contains("healthy"));

    // A payment makes events; they are delivered, signed with that secret.
    let paid = app.create(2_000, "+2250700000789").await;
    app.steps(5).await;
    app.engine.run_dispatch_until_idle().await.unwrap();
    let got = rx.take();
    assert!(!got.is_empty(), "delivered");
    let events = dev.get("/dashboard/developers/events").await;
    assert!(events.html.contains("payment.settled"), "{}", events.html);
    let settled = dev
        .get("/dashboard/developers/events?type=payment.settled")
        .await;
    assert!(!settled.html.contains("payment.created</td>"));
    let (_, evs) = app.get("/v1/events?type=payment.settled").await;
    let event = evs["data"][0]["id"].as_str().unwrap().to_owned();
    let shown = dev
        .get(&format!("/dashboard/developers/events/{event}"))
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.html);
    assert!(
        shown.html.contains(&endpoint) && shown.html.contains(">200<"),
        "{}",
        shown.html
    );
    assert!(shown.html.contains(paid["id"].as_str().unwrap()));
    // Sent again: another attempt.
    let resent = dev
        .post(&format!("/dashboard/developers/events/{event}/resend"), &[])
        .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER, "{}", resent.html);
    app.engine.run_dispatch_until_idle().await.unwrap();
    let twice = dev
        .get(&format!("/dashboard/developers/events/{event}"))
        .await;
    assert_eq!(twice.html.matches(">200<").count(), 2, "{}", twice.html);

    // A new secret, shown once; disable and enable.
    let page = dev.get("/dashboard/developers/webhooks").await;
    let once = field(&page.html, "once");
    let rotated = dev
        .post(
            &format!("/dashboard/developers/webhooks/{endpoint}"),
            &[("do", "rotate"), ("once", &once)],
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.html);
    let new_secret = secret_on(&rotated.html);
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    let off = dev
        .post(
            &format!("/dashboard/developers/webhooks/{endpoint}"),
            &[("do", "disable")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let (_, e) = app.get(&format!("/v1/webhook_endpoints/{endpoint}")).await;
    assert_eq!(e["status"], "disabled", "{e}");
    dev.get("/dashboard/developers/webhooks").await;
    let on = dev
        .post(
            &format!("/dashboard/developers/webhooks/{endpoint}"),
            &[("do", "enable")],
        )
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    let (_, e) = app.get(&format!("/v1/webhook_endpoints/{endpoint}")).await;
    assert_eq!(e["status"], "enabled", "{e}");

    // A test event, to a second endpoint that wants only failures: it goes there alone, signed
    // with that endpoint's secret, and the page that follows shows its delivery.
    let rx2 = Receiver::start().await;
    let (s2, second) = app
        .post(
            "/v1/webhook_endpoints",
            &serde_json::json!({"url": rx2.url, "events": ["payment.failed"]}),
        )
        .await;
    assert_eq!(s2, StatusCode::OK, "{second}");
    let second_id = second["id"].as_str().unwrap().to_owned();
    let second_secret = second["secret"].as_str().unwrap().to_owned();
    let before = rx.count();
    let page = dev.get("/dashboard/developers/webhooks").await;
    assert!(page.html.contains("value=\"test\""), "a test button");
    let tested = dev
        .post(
            &format!("/dashboard/developers/webhooks/{second_id}"),
            &[("do", "test")],
        )
        .await;
    assert_eq!(tested.status, StatusCode::SEE_OTHER, "{}", tested.html);
    let to = tested.location.clone().unwrap();
    assert!(to.starts_with("/dashboard/developers/events/evt_"), "{to}");
    app.engine.run_dispatch_until_idle().await.unwrap();
    let got = rx2.take();
    assert_eq!(got.len(), 1, "one test event to the second endpoint");
    assert!(kumbu_engine::signature::verify(
        &got[0].signature,
        &second_secret,
        got[0].body.as_bytes(),
        app.clock.now_unix(),
        300
    ));
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "webhook_endpoint.test");
    assert_eq!(body["data"]["object"]["id"], second_id.as_str());
    assert!(
        body["data"]["object"]["secret"].is_null(),
        "never the secret"
    );
    assert_eq!(rx.count(), before, "nothing to the first endpoint");
    let shown = dev.get(&to).await;
    assert!(shown.html.contains(&second_id) && shown.html.contains(">200<"));
    // The API does the same; a disabled endpoint is refused, naming why.
    let (s, ev) = app
        .post(
            &format!("/v1/webhook_endpoints/{second_id}/test"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ev}");
    assert_eq!(ev["type"], "webhook_endpoint.test");
    app.post(
        &format!("/v1/webhook_endpoints/{second_id}/disable"),
        &serde_json::json!({}),
    )
    .await;
    let (s, err) = app
        .post(
            &format!("/v1/webhook_endpoints/{second_id}/test"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert!(err.to_string().contains("enable it first"), "{err}");

    // Finance reads, and may not act.
    let mut fin = person(&app, "fin@loja.cv", Role::Finance).await;
    let seen = fin.get("/dashboard/developers/webhooks").await;
    assert!(seen.html.contains(&endpoint) && !seen.html.contains("value=\"disable\""));
    let refused = fin
        .post(
            &format!("/dashboard/developers/webhooks/{endpoint}"),
            &[("do", "disable")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);
    let refused = fin
        .post(&format!("/dashboard/developers/events/{event}/resend"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The audit log has every change, and never a secret.
    let (mut owner, _) = crate::dashboard::owner(&app, "dona@loja.cv").await;
    let audit = owner.get("/dashboard/audit").await;
    for action in [
        "webhook_endpoint.created",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.disabled",
        "webhook_endpoint.enabled",
        "event.resent",
        "webhook_endpoint.test_sent",
    ] {
        assert!(audit.html.contains(action), "{action}: {}", audit.html);
    }
    assert!(!audit.html.contains("whsec_"), "no secret in the audit log");
    Some(app)
}

both!(webhooks_and_events_in_the_dashboard);
