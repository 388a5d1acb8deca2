//! Cursor pagination stays exact while payments are being inserted.

use crate::both;
use crate::harness::TestApp;
use std::collections::HashSet;

async fn pages_are_stable_under_concurrent_inserts(app: TestApp) -> Option<TestApp> {
    let mut original = Vec::new();
    for _ in 0..25 {
        original.push(
            app.create(1000, "+2250700000789").await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let app = std::sync::Arc::new(app);
    let inserter = {
        let app = app.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                app.create(1000, "+2250700000789").await;
            }
        })
    };
    let mut seen = Vec::new();
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
        after = data.last().map(|p| p["id"].as_str().unwrap().to_owned());
        tokio::task::yield_now().await;
    }
    inserter.await.unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no payment appears twice");
    for id in &original {
        assert!(unique.contains(id), "{id} was skipped");
    }
    // Newest first: the originals appear in reverse creation order.
    let positions: Vec<usize> = original
        .iter()
        .map(|id| seen.iter().position(|s| s == id).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] > w[1]), "newest first");
    std::sync::Arc::into_inner(app)
}

both!(pages_are_stable_under_concurrent_inserts);
