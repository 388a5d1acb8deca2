//! The simulator over a real socket, driven by the connector's own client: the Bearer, C2B held
//! until the payer answers, outcomes by number, duplicates, the platform giving up, queries,
//! B2C and reversals, and the faults.

use super::{Config, Faults, Keys, Sim};
use crate::mpesa_mz::wire::{Query, Reversal, Transfer};
use crate::mpesa_mz::{Client, Op, Said, Settings};
use kumbu_core::FailureCode;
use std::time::{Duration, Instant};

async fn start(config: Config) -> (Sim, Client) {
    let sim = Sim::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.clone().serve(listener, std::future::pending()));
    let client = Client::new(&url, Duration::from_secs(5), Duration::from_secs(5));
    (sim, client)
}

fn settings(sim: &Sim, api_key: &str) -> Settings {
    Settings {
        api_key: api_key.into(),
        public_key: sim.public_key(),
        service_provider_code: "171717".into(),
        initiator_identifier: Some("init".into()),
        security_credential: Some("Mpesa2019".into()),
    }
}

fn c2b(reference: &str, msisdn: &str) -> Transfer {
    Transfer {
        transaction_reference: reference.into(),
        customer_msisdn: msisdn.into(),
        amount: "10".into(),
        third_party_reference: reference.into(),
        service_provider_code: "171717".into(),
    }
}

async fn status(client: &Client, s: &Settings, reference: &str) -> String {
    let q = Query {
        third_party_reference: "q1".into(),
        query_reference: reference.into(),
        service_provider_code: "171717".into(),
    };
    let said = client.call(Op::Query, s, &q).await;
    let Said::Done(a) = said else {
        panic!("{said:?}")
    };
    a.transaction_status.unwrap_or_default()
}

#[tokio::test]
async fn payments_are_answered_when_the_payer_has() {
    let (sim, client) = start(Config {
        api_keys: vec!["key".into()],
        prompt_time: Duration::from_millis(300),
        platform_timeout: Duration::from_millis(900),
        initiator: Some(("init".into(), "Mpesa2019".into())),
        ..Config::with_keys(Keys::for_tests())
    })
    .await;
    let s = settings(&sim, "key");
    // A key the simulator does not take: 401 INS-2.
    let said = client
        .call(
            Op::C2b,
            &settings(&sim, "other"),
            &c2b("R0", "258841000001"),
        )
        .await;
    assert!(
        matches!(said, Said::Credentials(ref w) if w.contains("INS-2")),
        "{said:?}"
    );
    assert_eq!(sim.stats().auth_failures, 1);

    // The call is held until the payer answers.
    let started = Instant::now();
    let said = client.call(Op::C2b, &s, &c2b("R1", "258841000001")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let Said::Done(a) = said else {
        panic!("{said:?}")
    };
    let tx = a.transaction_id.clone().unwrap();
    assert_eq!(status(&client, &s, "R1").await, "Completed");
    assert_eq!(status(&client, &s, &tx).await, "Completed");
    // Sent again: INS-10, registered once.
    assert_eq!(
        client.call(Op::C2b, &s, &c2b("R1", "258841000001")).await,
        Said::Duplicate
    );
    assert_eq!(
        (sim.stats().c2b_requests, sim.stats().c2b_registered),
        (3, 1),
        "the refused key counted too"
    );

    // Outcomes by number.
    for (number, code, ours) in [
        ("258841000039", "INS-5", FailureCode::PaymentDeclined),
        ("258841000049", "INS-2006", FailureCode::InsufficientBalance),
        ("258841000069", "INS-6", FailureCode::ProviderError),
        ("258821000001", "INS-2051", FailureCode::PayerNotFound),
    ] {
        let said = client
            .call(Op::C2b, &s, &c2b(&format!("R{number}"), number))
            .await;
        assert_eq!(
            said,
            Said::Failed {
                code: ours,
                operator_code: code.into()
            },
            "{number}"
        );
    }
    // Never answered: the platform gives up (INS-9, unknown to the caller), the query says why.
    let said = client.call(Op::C2b, &s, &c2b("R59", "258841000059")).await;
    assert!(
        matches!(said, Said::Unknown(ref w) if w.contains("INS-9")),
        "{said:?}"
    );
    assert_eq!(status(&client, &s, "R59").await, "Expired");
    assert_eq!(status(&client, &s, "nobody").await, "N/A");
    // …079: overloaded, nothing registered.
    let said = client.call(Op::C2b, &s, &c2b("R79", "258841000079")).await;
    assert!(
        matches!(said, Said::Unknown(ref w) if w.contains("INS-16")),
        "{said:?}"
    );
    assert_eq!(status(&client, &s, "R79").await, "N/A");

    // Faults: a 5xx that did nothing; a duplicate that did; a hang the caller gives up on.
    sim.set_faults(Faults {
        fail_next: 1,
        duplicate_next: 1,
        ..Faults::default()
    });
    assert!(matches!(
        client.call(Op::C2b, &s, &c2b("F1", "258841000001")).await,
        Said::Unknown(_)
    ));
    assert_eq!(status(&client, &s, "F1").await, "N/A");
    assert_eq!(
        client.call(Op::C2b, &s, &c2b("F2", "258841000001")).await,
        Said::Duplicate
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(status(&client, &s, "F2").await, "Completed");

    // B2C from the balance; a reversal of R1, in part, then the rest; not more.
    sim.set_faults(Faults::default());
    let b2c = c2b("P1", "258851000001");
    assert!(matches!(
        client.call(Op::B2c, &s, &b2c).await,
        Said::Done(_)
    ));
    assert_eq!(client.call(Op::B2c, &s, &b2c).await, Said::Duplicate);
    let rev = |r: &str, amount: &str| Reversal {
        transaction_id: tx.clone(),
        security_credential: "Mpesa2019".into(),
        initiator_identifier: "init".into(),
        third_party_reference: r.into(),
        service_provider_code: "171717".into(),
        reversal_amount: Some(amount.into()),
    };
    assert!(matches!(
        client.call(Op::Reversal, &s, &rev("V1", "4")).await,
        Said::Done(_)
    ));
    assert!(
        matches!(client.call(Op::Reversal, &s, &rev("V2", "7")).await, Said::Failed { ref operator_code, .. } if operator_code == "INS-15")
    );
    assert!(matches!(
        client.call(Op::Reversal, &s, &rev("V3", "6")).await,
        Said::Done(_)
    ));
    assert_eq!(status(&client, &s, "V1").await, "Completed");
    let mut wrong = rev("V4", "1");
    wrong.security_credential = "nope".into();
    assert!(matches!(
        client.call(Op::Reversal, &s, &wrong).await,
        Said::Failed {
            code: FailureCode::ProviderUnavailable,
            ..
        }
    ));
}

#[tokio::test]
async fn a_hung_answer_is_an_unknown_outcome_and_the_payment_happened() {
    let sim = Sim::new(Config {
        prompt_time: Duration::from_millis(50),
        faults: Faults {
            hang_next: 1,
            ..Faults::default()
        },
        ..Config::with_keys(Keys::for_tests())
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.clone().serve(listener, std::future::pending()));
    let client = Client::new(&url, Duration::from_secs(5), Duration::from_millis(500));
    let s = settings(&sim, "any");
    let said = client.call(Op::C2b, &s, &c2b("H1", "258841000001")).await;
    assert!(
        matches!(said, Said::Unknown(ref w) if w.contains("timed out")),
        "{said:?}"
    );
    assert_eq!(status(&client, &s, "H1").await, "Completed");
    assert_eq!(sim.stats().c2b_registered, 1);
}

#[tokio::test]
async fn each_operation_on_its_own_port() {
    let sim = Sim::new(Config::with_keys(Keys::for_tests()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(crate::sim_http::serve(
        sim.router(&[Op::Query]),
        listener,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    for op in [Op::C2b, Op::B2c, Op::Reversal] {
        let r = http
            .post(format!("{url}{}", op.path()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{op:?} is not served on the query's port");
    }
    let r = http
        .get(format!("{url}{}", Op::Query.path()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the query is, and wants a Bearer");
}

/// Every code M-Pesa documents, answered on demand with its HTTP status, reads as the connector
/// means it: the table the connector and the simulator share, proved over a socket.
#[tokio::test]
async fn every_code_reads_as_meant() {
    use crate::mpesa_mz::codes::{http_status, meaning, Meaning, ALL};
    let (sim, client) = start(Config::with_keys(Keys::for_tests())).await;
    let s = settings(&sim, "any");
    for (n, code) in ALL.iter().enumerate() {
        sim.set_faults(Faults {
            code_next: Some((*code).to_owned()),
            ..Faults::default()
        });
        let said = client
            .call(Op::C2b, &s, &c2b(&format!("C{n}"), "258841000001"))
            .await;
        let ok = match (meaning(Some(code), http_status(code)), &said) {
            (Meaning::Done, Said::Unknown(_)) => true, // INS-0 with nothing done: no body to read
            (Meaning::Done, Said::Done(_)) => true,
            (Meaning::Undecided, Said::Unknown(w)) => w.contains(code),
            (Meaning::Duplicate, Said::Duplicate) => true,
            (Meaning::Credentials, Said::Credentials(w)) => w.contains(code),
            (
                Meaning::Failed(ours),
                Said::Failed {
                    code: c,
                    operator_code,
                },
            ) => c == &ours && operator_code == code,
            _ => false,
        };
        assert!(ok, "{code}: {said:?}");
    }
    assert_eq!(sim.stats().c2b_registered, 0, "nothing was done");
}
