//! The client against the simulator over a real socket: tokens cached and renewed once when
//! refused, a payment page made and paid, and each way a call can fail classified.

use super::{Client, OrangeStatus, PageRequest, WebPay};
use crate::connector::CallError;
use crate::orange_money::simulator::{Config, Faults, Sim};
use kumbu_core::Timestamp;
use secrecy::SecretString;
use std::time::Duration;

async fn sim() -> (Sim, String) {
    let sim = Sim::new(Config {
        clients: vec![("cid".into(), "csec".into())],
        merchant_keys: vec!["mk".into()],
        ..Config::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.clone().serve(listener, std::future::pending()));
    (sim, url)
}

fn creds(secret: &str) -> WebPay {
    WebPay {
        key: format!("mer_1/orange_ci#{secret}"),
        client_id: "cid".into(),
        client_secret: SecretString::from(secret.to_owned()),
        merchant_key: SecretString::from("mk".to_owned()),
        country: "ci".into(),
    }
}

fn page(order_id: &str) -> PageRequest<'_> {
    PageRequest {
        currency: "XOF",
        order_id,
        amount: 2500,
        return_url: "https://pay.example/pay/x",
        cancel_url: "https://pay.example/pay/x",
        notif_url: "https://pay.example/callbacks/orange-money/x",
        lang: "fr",
        reference: "Commande 1",
    }
}

#[tokio::test]
async fn pages_statuses_tokens_and_failures() {
    let (sim, url) = sim().await;
    let client = Client::new(&url, Duration::from_millis(500));
    let now = Timestamp::from_micros(1_800_000_000_000_000);
    let c = creds("csec");
    let made = client.webpayment(&c, now, &page("kb-1")).await.unwrap();
    assert!(made.payment_url.contains("/webpay/"));
    let status = client.status(&c, now, "kb-1", 2500, &made.pay_token).await;
    assert_eq!(status.unwrap(), OrangeStatus::Initiated);
    assert_eq!(sim.stats().tokens, 1, "one token for both calls");
    // Paid on Orange's page: SUCCESS with Orange's transaction id.
    let http = reqwest::Client::new();
    http.post(format!(
        "{url}/_simulator/webpayments/{}/pay",
        made.pay_token
    ))
    .send()
    .await
    .unwrap();
    match client
        .status(&c, now, "kb-1", 2500, &made.pay_token)
        .await
        .unwrap()
    {
        OrangeStatus::Success(Some(txnid)) => assert!(txnid.starts_with("MP")),
        other @ (OrangeStatus::Initiated
        | OrangeStatus::Pending
        | OrangeStatus::Success(None)
        | OrangeStatus::Failed(_)
        | OrangeStatus::Expired
        | OrangeStatus::Other(_)) => panic!("{other:?}"),
    }
    // Orange stops accepting the token: one fresh token, one retry, success.
    sim.expire_tokens();
    client
        .status(&c, now, "kb-1", 2500, &made.pay_token)
        .await
        .unwrap();
    assert_eq!(sim.stats().tokens, 2);
    // A reused order id is refused (nothing made); a 500 and a hang leave the outcome unknown.
    match client.webpayment(&c, now, &page("kb-1")).await {
        Err(CallError::Refused { status: 400, .. }) => {}
        other => panic!("{other:?}"),
    }
    sim.set_faults(Faults {
        fail_next: 1,
        ..Faults::default()
    });
    assert!(matches!(
        client.webpayment(&c, now, &page("kb-2")).await,
        Err(CallError::Unknown(_))
    ));
    sim.set_faults(Faults {
        hang_next: 1,
        hang_ms: 2_000,
        ..Faults::default()
    });
    assert!(matches!(
        client.webpayment(&c, now, &page("kb-3")).await,
        Err(CallError::Unknown(_))
    ));
    // Credentials Orange does not know.
    let wrong = creds("not-the-secret");
    assert!(matches!(
        client.webpayment(&wrong, now, &page("kb-4")).await,
        Err(CallError::Unauthorized(_))
    ));
    // An unknown pay token.
    assert!(matches!(
        client.status(&c, now, "kb-1", 2500, "v1unknown").await,
        Err(CallError::Refused { status: 404, .. })
    ));
}
