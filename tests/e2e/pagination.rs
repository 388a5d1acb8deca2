//! Cursor pagination stays exact while payments are being inserted.

use crate::both;
use crate::harness::TestApp;

/// Two payments are created between every two pages (so inserts surely land mid-listing): the
/// listing still shows each payment that existed when it began exactly once, newest first, and
/// none of those created after it began (they are newer than every cursor).
async fn pages_are_exact_while_payments_are_inserted(app: TestApp) -> Option<TestApp> {
    let mut original = Vec::new();
    for _ in 0..25 {
        original.push(
            app.create(1000, "+2250700000789").await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut inserted = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/v1/payments?limit=7&starting_after={a}"),
            None => "/v1/payments?limit=7".to_owned(),
        };
        let (s, page) = app.get(&path).await;
        assert_eq!(s, 200, "{page}");
        let data = page["data"].as_array().unwrap();
        for p in data {
            seen.push(p["id"].as_str().unwrap().to_owned());
        }
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
        for _ in 0..2 {
            let p = app.create(1000, "+2250700000789").await;
            inserted.push(p["id"].as_str().unwrap().to_owned());
        }
        after = data.last().map(|p| p["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(inserted.len(), 6, "four pages of 7, inserts between each");
    let newest_first: Vec<String> = original.iter().rev().cloned().collect();
    assert_eq!(
        seen, newest_first,
        "every payment once, newest first, none inserted meanwhile"
    );
    // And they are there for a listing that starts now.
    let (_, page) = app.get("/v1/payments?limit=6").await;
    let head: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = inserted.iter().rev().map(String::as_str).collect();
    assert_eq!(head, expected);
    Some(app)
}

both!(pages_are_exact_while_payments_are_inserted);
