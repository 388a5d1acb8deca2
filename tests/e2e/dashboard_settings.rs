//! Settings over HTTP: the SIMO entity, branding (a logo uploaded as a file) and live
//! connectors (set from the operator's JSON, never shown back, checked, removed) by an owner,
//! each audited; read-only for finance, whose forged changes are refused.

use crate::both;
use crate::dashboard::{invited, owner, sign_in, take_link, Browser, PASSWORD};
use crate::harness::TestApp;
use kumbu_core::{Mode, Role};
use reqwest::StatusCode;

async fn owners_change_settings(app: TestApp) -> Option<TestApp> {
    let (mut own, _) = owner(&app, "dona@loja.cv").await;
    // The SIMO entity: refused when malformed, set, and then carried by bills.
    let page = own.get("/dashboard/settings/entity").await;
    assert_eq!(page.status, StatusCode::OK);
    let bad = own
        .post("/dashboard/settings/entity", &[("entity", "12")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.html);
    let set = own
        .post("/dashboard/settings/entity", &[("entity", "90002")])
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.html);
    let auth = app.sandbox_auth(Mode::Live).await;
    assert_eq!(
        app.engine.erv_entity(&auth).await.unwrap().as_deref(),
        Some("90002")
    );

    // Branding: name, colour and a logo file; a logo of the wrong kind is refused.
    own.get("/dashboard/settings/branding").await;
    let logo = std::fs::read("docs/examples/logo.svg").unwrap();
    let done = own
        .post_file(
            "/dashboard/settings/branding",
            &[("name", "Loja da Dona"), ("color", "#0a7f3c")],
            ("logo", "logo.svg", &logo),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let shown = own.get("/dashboard/settings/branding").await;
    assert!(shown.html.contains("Loja da Dona") && shown.html.contains("#0a7f3c"));
    assert!(shown.html.contains("src=\"data:image/svg+xml;base64,"));
    let wrong = own
        .post_file(
            "/dashboard/settings/branding",
            &[("name", "Loja da Dona")],
            ("logo", "logo.gif", b"GIF89a"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.html);
    assert!(wrong.html.contains("the logo must be a .png"));

    // A live connector: set from the operator's JSON, never shown back, checked, removed.
    let page = own.get("/dashboard/settings/connectors").await;
    assert!(page.html.contains("mtn_ci") && page.html.contains("Not set"));
    let settings = r#"{"target_environment": "mtnivorycoast", "callback_host": "127.0.0.1",
        "collection": {"subscription_key": "sub-key-0123456789", "api_user": "0b9f1b7e-7c5e-4b0a-9d7e-3f2a1c5d6e7f", "api_key": "very-secret-api-key-42"}}"#;
    let not_json = own
        .post(
            "/dashboard/settings/connectors",
            &[("operator", "mtn_ci"), ("settings", "{")],
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert!(not_json.html.contains("settings are not JSON"));
    let set = own
        .post(
            "/dashboard/settings/connectors",
            &[("operator", "mtn_ci"), ("settings", settings)],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.html);
    let page = own.get("/dashboard/settings/connectors").await;
    assert!(page.html.contains("mtnivorycoast") && page.html.contains("0b9f1b7e"));
    assert!(
        !page.html.contains("very-secret-api-key-42") && !page.html.contains("sub-key-0123456789")
    );
    let checked = own
        .post("/dashboard/settings/connectors/mtn_ci", &[("do", "check")])
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.html);
    assert!(checked.html.contains("role=\"status\"") && checked.html.contains("collection"));
    let removed = own
        .post("/dashboard/settings/connectors/mtn_ci", &[("do", "remove")])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.html);
    assert!(own
        .get("/dashboard/settings/connectors")
        .await
        .html
        .contains("Not set"));

    let audit = own.get("/dashboard/audit").await;
    for action in [
        "simo_entity.set",
        "branding.set",
        "connector.set",
        "connector.removed",
    ] {
        assert!(audit.html.contains(action), "{action}");
    }
    assert!(!audit.html.contains("very-secret-api-key-42"));

    // Finance reads and may not change.
    let mut fin = Browser::new(&app);
    let link = invited(&app, "fin@loja.cv", Role::Finance).await;
    take_link(&mut fin, &link).await;
    sign_in(&mut fin, "fin@loja.cv", PASSWORD).await;
    let seen = fin.get("/dashboard/settings/entity").await;
    assert!(seen.html.contains("90002") && !seen.html.contains("name=\"entity\""));
    let forged = fin
        .post("/dashboard/settings/entity", &[("entity", "90003")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let forged = fin
        .post(
            "/dashboard/settings/connectors",
            &[("operator", "mtn_ci"), ("settings", settings)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.engine.erv_entity(&auth).await.unwrap().as_deref(),
        Some("90002")
    );
    Some(app)
}

both!(owners_change_settings);
