//! The greetings API contract against a real PostgreSQL.

use std::collections::HashSet;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json, spawn_app, spawn_app_with_db};

const COLLECTION: &str = "/api/v1/greetings";

async fn create(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client
        .post(format!("{}{COLLECTION}", app.address))
        .json(body)
        .send()
        .await
        .expect("answers")
}

async fn error_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body = json(response).await;
    assert!(body["error"]["request_id"].is_string(), "{body}");
    body["error"].clone()
}

fn detail_fields(error: &Value) -> Vec<String> {
    let mut fields: Vec<String> = error["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|detail| detail["field"].as_str().expect("a field").to_owned())
        .collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn create_get_list_and_delete() {
    let (app, _) = spawn_app_with_db(&[]).await;
    let response = create(&app, &json!({"name": "  Ada ", "message": "Hi there"})).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let created = json(response).await;
    assert!(created["id"].is_i64(), "the id is a JSON number");
    assert_eq!(created["name"], "Ada", "trimmed");
    assert_eq!(created["message"], "Hi there");
    let created_at = created["created_at"].as_str().expect("a string");
    assert!(humantime::parse_rfc3339(created_at).is_ok(), "{created_at}");
    assert_eq!(location, format!("{COLLECTION}/{}", created["id"]));

    let fetched = app.get(&location).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(json(fetched).await, created);

    let page = json(app.get(COLLECTION).await).await;
    assert_eq!(page["items"], json!([created]));
    assert_eq!(page["next_cursor"], Value::Null);

    let url = format!("{}{location}", app.address);
    let deleted = app.client.delete(&url).send().await.expect("answers");
    assert_eq!(deleted.status(), 204);
    error_of(app.get(&location).await, 404).await;
    let again = app.client.delete(&url).send().await.expect("answers");
    error_of(again, 404).await;
}

#[tokio::test]
async fn ids_that_are_unknown_or_not_numbers_are_404() {
    let (app, _) = spawn_app_with_db(&[]).await;
    for id in ["999999", "abc", "-1", "0", "1.5", "99999999999999999999"] {
        let error = error_of(app.get(&format!("{COLLECTION}/{id}")).await, 404).await;
        assert_eq!(error["code"], "not_found", "{id}");
    }
}

#[tokio::test]
async fn invalid_input_is_refused_with_every_field_named() {
    let (app, _) = spawn_app_with_db(&[]).await;
    let error = error_of(create(&app, &json!({})).await, 422).await;
    assert_eq!(error["code"], "validation_failed");
    assert_eq!(detail_fields(&error), ["message", "name"]);

    let error = error_of(
        create(&app, &json!({"name": "x".repeat(65), "message": "   "})).await,
        422,
    )
    .await;
    assert_eq!(detail_fields(&error), ["message", "name"]);

    let error = error_of(
        create(&app, &json!({"name": 7, "message": ["hi"]})).await,
        422,
    )
    .await;
    assert_eq!(detail_fields(&error), ["message", "name"]);

    let error = error_of(
        create(
            &app,
            &json!({"name": "tab\there", "message": "é".repeat(280)}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(detail_fields(&error), ["name"]);

    let malformed = app
        .client
        .post(format!("{}{COLLECTION}", app.address))
        .header("content-type", "application/json")
        .body("{\"name\": \"Ada\",")
        .send()
        .await
        .expect("answers");
    assert_eq!(error_of(malformed, 400).await["code"], "bad_request");

    let wrong_type = app
        .client
        .post(format!("{}{COLLECTION}", app.address))
        .header("content-type", "text/plain")
        .body("name=Ada")
        .send()
        .await
        .expect("answers");
    assert_eq!(
        error_of(wrong_type, 415).await["code"],
        "unsupported_media_type"
    );

    for query in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "cursor=bogus",
        "cursor=",
    ] {
        let error = error_of(app.get(&format!("{COLLECTION}?{query}")).await, 400).await;
        let parameter = query.split('=').next().expect("a name");
        assert_eq!(detail_fields(&error), [parameter], "{query}");
    }
    let page = json(app.get(COLLECTION).await).await;
    assert_eq!(page["items"], json!([]), "nothing invalid was stored");
}

#[tokio::test]
async fn without_a_database_greetings_are_503_and_the_rest_works() {
    let app = spawn_app(&[]).await;
    let error = error_of(app.get(COLLECTION).await, 503).await;
    assert_eq!(error["code"], "database_unavailable");
    let error = error_of(
        create(&app, &json!({"name": "Ada", "message": "Hi"})).await,
        503,
    )
    .await;
    assert_eq!(error["code"], "database_unavailable");
    // Input is checked before availability.
    error_of(create(&app, &json!({"name": ""})).await, 422).await;
    error_of(app.get(&format!("{COLLECTION}?limit=500")).await, 400).await;
    assert_eq!(app.get("/").await.status(), 200);
    let ready = json(app.get("/health/ready").await).await;
    assert_eq!(ready["checks"]["database"]["status"], "disabled");
}

#[tokio::test]
async fn pages_have_no_duplicates_or_gaps_while_rows_are_inserted() {
    let (app, _) = spawn_app_with_db(&[]).await;
    let mut existing = Vec::new();
    for i in 0..45 {
        let created =
            json(create(&app, &json!({"name": "first", "message": format!("m{i}")})).await).await;
        existing.push(created["id"].as_i64().expect("an id"));
    }

    let writer = async {
        for i in 0..30 {
            create(&app, &json!({"name": "later", "message": format!("l{i}")})).await;
        }
    };
    let reader = async {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = cursor
                .as_ref()
                .map_or(String::new(), |c| format!("&cursor={c}"));
            let page = json(app.get(&format!("{COLLECTION}?limit=7{query}")).await).await;
            let items = page["items"].as_array().expect("items").clone();
            assert!(items.len() <= 7);
            seen.extend(items.iter().map(|item| item["id"].as_i64().expect("an id")));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break seen,
            }
        }
    };
    let ((), seen) = tokio::join!(writer, reader);

    assert!(
        seen.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first, no duplicates"
    );
    let seen: HashSet<i64> = seen.into_iter().collect();
    let missing: Vec<_> = existing.iter().filter(|id| !seen.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "rows present from the start were skipped: {missing:?}"
    );
}

#[tokio::test]
async fn concurrent_creates_are_all_kept() {
    let (app, url) = spawn_app_with_db(&[]).await;
    let responses = join_all((0..200).map(|i| {
        let app = &app;
        async move {
            create(
                app,
                &json!({"name": format!("n{i}"), "message": "concurrent"}),
            )
            .await
        }
    }))
    .await;
    let mut acknowledged = HashSet::new();
    for response in responses {
        if response.status() == 201 {
            acknowledged.insert(json(response).await["id"].as_i64().expect("an id"));
        } else {
            assert_eq!(response.status(), 503, "refused, never lost");
        }
    }
    assert!(
        acknowledged.len() >= 190,
        "most are served: {}",
        acknowledged.len()
    );

    let client = crate::helpers::database::connect(&url).await;
    let stored: HashSet<i64> = client
        .query("SELECT id FROM greetings", &[])
        .await
        .expect("queries")
        .iter()
        .map(|row| row.get(0))
        .collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
}

#[tokio::test]
async fn readiness_reports_the_database() {
    let (app, _) = spawn_app_with_db(&[]).await;
    let mut ready = Value::Null;
    for _ in 0..50 {
        let response = app.get("/health/ready").await;
        let status = response.status();
        ready = json(response).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ready["status"], "ready", "{ready}");
    let database = &ready["checks"]["database"];
    assert_eq!(database["status"], "up");
    assert!(database["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(humantime::parse_rfc3339(database["checked_at"].as_str().expect("a time")).is_ok());
}
