//! The fault proxy against DynamoDB Local: it forwards faithfully, and each
//! fault has the outcome it promises (the write commits or not, the SDK sees
//! the error variant, timeout or connection error it would see from AWS).

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_e2e::fault_proxy::{Fault, FaultProxy};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A proxy to DynamoDB Local, a fresh table `fp-<uuid>` (created directly)
/// and a direct client to check what was really written.
async fn setup() -> (FaultProxy, String, Client) {
    let proxy = FaultProxy::start(&lifeline_e2e::dynamodb_endpoint())
        .await
        .expect("proxy starts");
    let direct = Client::new(&load_aws_config(ClientProfile::Admin).await);
    let table = format!("fp-{}", uuid::Uuid::new_v4().simple());
    create_table(&direct, &table).await;
    (proxy, table, direct)
}

async fn create_table(client: &Client, table: &str) {
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect("create table");
}

/// A client through the proxy: `attempts` attempts (backoff from 20 ms) and,
/// when given, a per-attempt timeout.
async fn via(proxy: &FaultProxy, attempts: u32, attempt_timeout: Option<Duration>) -> Client {
    let conf = load_aws_config(ClientProfile::Admin).await;
    let mut timeouts = TimeoutConfig::builder().connect_timeout(Duration::from_secs(1));
    if let Some(t) = attempt_timeout {
        timeouts = timeouts.operation_attempt_timeout(t);
    }
    let c = aws_sdk_dynamodb::config::Builder::from(&conf)
        .endpoint_url(proxy.url())
        .timeout_config(timeouts.build())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .build();
    Client::from_conf(c)
}

fn key(pk: &str) -> std::collections::HashMap<String, AttributeValue> {
    [("pk".to_string(), AttributeValue::S(pk.into()))].into()
}

async fn put(client: &Client, table: &str, pk: &str) -> Result<(), SdkError<PutItemError>> {
    client
        .put_item()
        .table_name(table)
        .item("pk", AttributeValue::S(pk.into()))
        .item("v", AttributeValue::S("x".into()))
        .send()
        .await
        .map(|_| ())
}

async fn exists(direct: &Client, table: &str, pk: &str) -> bool {
    direct
        .get_item()
        .table_name(table)
        .set_key(Some(key(pk)))
        .consistent_read(true)
        .send()
        .await
        .expect("direct read")
        .item
        .is_some()
}

#[tokio::test]
async fn forwards_requests_and_counts_them() {
    let proxy = FaultProxy::start(&lifeline_e2e::dynamodb_endpoint())
        .await
        .expect("proxy starts");
    let client = via(&proxy, 1, None).await;
    let table = format!("fp-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await;
    put(&client, &table, "k1")
        .await
        .expect("put through the proxy");
    let got = client
        .get_item()
        .table_name(&table)
        .set_key(Some(key("k1")))
        .send()
        .await
        .expect("get through the proxy");
    let item = got.item.expect("the item comes back");
    assert_eq!(item.get("v"), Some(&AttributeValue::S("x".into())));
    assert_eq!(proxy.seen("CreateTable"), 1);
    assert_eq!(proxy.seen("PutItem"), 1);
    assert_eq!(proxy.seen("GetItem"), 1);
    assert_eq!(proxy.seen("BatchGetItem"), 0);
    assert_eq!(proxy.seen("*"), 3);
}

/// What the upstream receives is what the SDK sent: Host (signed by SigV4),
/// Authorization, X-Amz-Target, body. A raw upstream records it.
#[tokio::test]
async fn forwards_the_signed_request_unchanged() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let upstream_url = format!("http://{}", upstream.local_addr().expect("addr"));
    let recorder = tokio::spawn(async move {
        let (mut s, _) = upstream.accept().await.expect("accept");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        // Read the head and the body (Content-Length) of one request.
        loop {
            let n = s.read(&mut chunk).await.expect("read");
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().expect("length"))
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len || n == 0 {
                    break;
                }
            }
            assert!(n > 0, "request cut short");
        }
        let body = "{}";
        let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        s.write_all(answer.as_bytes()).await.expect("answer");
        String::from_utf8_lossy(&buf).to_string()
    });
    let proxy = FaultProxy::start(&upstream_url)
        .await
        .expect("proxy starts");
    let client = via(&proxy, 1, None).await;
    let got = client
        .get_item()
        .table_name("t")
        .set_key(Some(key("k1")))
        .send()
        .await
        .expect("the SDK accepts the relayed answer");
    assert!(got.item.is_none());
    let request = recorder.await.expect("recorded");
    let header = |name: &str| {
        request
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let proxy_host = proxy.url().trim_start_matches("http://").to_string();
    assert!(request.starts_with("POST / HTTP/1.1\r\n"), "{request}");
    assert_eq!(header("host"), proxy_host, "the Host the SDK signed");
    assert_eq!(header("x-amz-target"), "DynamoDB_20120810.GetItem");
    let auth = header("authorization");
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential="), "{auth}");
    assert!(
        auth.contains("SignedHeaders=") && auth.contains("host"),
        "{auth}"
    );
    assert!(
        request.contains(r#""TableName":"t""#),
        "the body: {request}"
    );
}

#[tokio::test]
async fn forward_then_drop_commits_the_write_and_times_the_client_out() {
    let (proxy, table, direct) = setup().await;
    let client = via(&proxy, 1, Some(Duration::from_millis(300))).await;
    proxy.inject("PutItem", Fault::ForwardThenDrop, 1);
    let started = Instant::now();
    let err = put(&client, &table, "k1").await.expect_err("no answer");
    let took = started.elapsed();
    println!("ForwardThenDrop surfaced after {took:?} as {err:?}");
    assert!(matches!(err, SdkError::TimeoutError(_)), "{err:?}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert!(exists(&direct, &table, "k1").await, "the write committed");
    // The rule is spent: the next request is answered.
    put(&client, &table, "k2").await.expect("answered again");
    assert_eq!(proxy.seen("PutItem"), 2);
}

#[tokio::test]
async fn forward_then_delay_answers_late_after_the_write() {
    let (proxy, table, direct) = setup().await;
    let client = via(&proxy, 1, None).await;
    let delay = Duration::from_millis(600);
    proxy.inject("PutItem", Fault::ForwardThenDelay(delay), 1);
    let started = Instant::now();
    let put_late = put(&client, &table, "k1");
    // The item is there before the answer.
    let check = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        exists(&direct, &table, "k1").await
    };
    let (answer, early) = tokio::join!(put_late, check);
    answer.expect("late but successful");
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert!(early, "written before the answer arrived");
}

#[tokio::test]
async fn latency_delays_the_request_before_it_is_forwarded() {
    let (proxy, table, direct) = setup().await;
    let client = via(&proxy, 1, None).await;
    proxy.inject("PutItem", Fault::Latency(Duration::from_millis(600)), 1);
    let started = Instant::now();
    let put_late = put(&client, &table, "k1");
    let check = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        exists(&direct, &table, "k1").await
    };
    let (answer, early) = tokio::join!(put_late, check);
    answer.expect("late but successful");
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(!early, "not written while the request waits");
    assert!(exists(&direct, &table, "k1").await);
}

fn transaction(table: &str, pk: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .item("pk", AttributeValue::S(pk.into()))
                .build()
                .expect("put"),
        )
        .build()
}

#[tokio::test]
async fn transaction_in_progress_maps_to_its_variant_and_writes_nothing() {
    let (proxy, table, direct) = setup().await;
    proxy.inject(
        "TransactWriteItems",
        Fault::transaction_in_progress(),
        usize::MAX,
    );
    // The SDK retries it as throttling: with 3 attempts, 3 requests.
    let client = via(&proxy, 3, None).await;
    let err = client
        .transact_write_items()
        .transact_items(transaction(&table, "k1"))
        .send()
        .await
        .expect_err("injected");
    assert!(matches!(err, SdkError::ServiceError(_)), "{err:?}");
    let err = err.into_service_error();
    assert!(
        matches!(
            err,
            TransactWriteItemsError::TransactionInProgressException(_)
        ),
        "{err:?}"
    );
    assert_eq!(proxy.seen("TransactWriteItems"), 3, "retried as throttling");
    assert!(!exists(&direct, &table, "k1").await, "nothing written");
}

#[tokio::test]
async fn throttling_once_is_retried_and_succeeds() {
    let (proxy, table, direct) = setup().await;
    // Default retries (standard, 3 attempts, 1 s base backoff).
    let conf = load_aws_config(ClientProfile::Admin).await;
    let client = Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&conf)
            .endpoint_url(proxy.url())
            .retry_config(RetryConfig::standard())
            .build(),
    );
    proxy.inject("TransactWriteItems", Fault::throttling(), 1);
    client
        .transact_write_items()
        .transact_items(transaction(&table, "k1"))
        .send()
        .await
        .expect("succeeds on the retry");
    assert_eq!(proxy.seen("TransactWriteItems"), 2);
    assert!(exists(&direct, &table, "k1").await);
}

#[tokio::test]
async fn service_errors_map_to_the_sdk_variants() {
    let (proxy, table, direct) = setup().await;
    let client = via(&proxy, 1, None).await;
    proxy.inject("PutItem", Fault::internal_server_error(), 1);
    let err = put(&client, &table, "k1").await.expect_err("injected");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    let err = err.into_service_error();
    assert!(
        matches!(err, PutItemError::InternalServerError(_)),
        "{err:?}"
    );
    assert!(!exists(&direct, &table, "k1").await);

    proxy.inject("GetItem", Fault::provisioned_throughput_exceeded(), 1);
    let err = client
        .get_item()
        .table_name(&table)
        .set_key(Some(key("k1")))
        .send()
        .await
        .expect_err("injected")
        .into_service_error();
    assert!(
        matches!(err, GetItemError::ProvisionedThroughputExceededException(_)),
        "{err:?}"
    );

    // A 500 is transient: with two attempts the retry goes through.
    let retrying = via(&proxy, 2, None).await;
    proxy.inject("PutItem", Fault::internal_server_error(), 1);
    put(&retrying, &table, "k2").await.expect("retried");
    assert!(exists(&direct, &table, "k2").await);
}

/// Rules are per request, on one kept-alive connection: skip, then fault.
#[tokio::test]
async fn rules_skip_then_fault_per_request() {
    let (proxy, table, _direct) = setup().await;
    let client = via(&proxy, 1, None).await;
    proxy.inject_after("*", 1, Fault::throttling(), 1);
    put(&client, &table, "k1").await.expect("skipped");
    let err = put(&client, &table, "k2").await.expect_err("faulted");
    assert!(matches!(
        err.into_service_error(),
        PutItemError::ThrottlingException(_)
    ));
    put(&client, &table, "k3").await.expect("rule spent");
    proxy.inject("PutItem", Fault::throttling(), usize::MAX);
    proxy.clear();
    put(&client, &table, "k4").await.expect("cleared");
    assert_eq!(proxy.seen("PutItem"), 4);
}

#[tokio::test]
async fn reset_closes_without_answer_or_write() {
    let (proxy, table, direct) = setup().await;
    let client = via(&proxy, 1, None).await;
    proxy.inject("PutItem", Fault::Reset, 1);
    let started = Instant::now();
    let err = put(&client, &table, "k1").await.expect_err("no answer");
    println!("Reset surfaced after {:?} as {err:?}", started.elapsed());
    assert!(err.raw_response().is_none(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!exists(&direct, &table, "k1").await);
}

#[tokio::test]
async fn refused_connections_fail_fast() {
    let (proxy, table, _direct) = setup().await;
    let client = via(&proxy, 1, None).await;
    put(&client, &table, "k0")
        .await
        .expect("a kept-alive connection");
    proxy.refuse(true);
    // The kept-alive connection is closed on the next request...
    let started = Instant::now();
    let first = put(&client, &table, "k1").await.expect_err("refused");
    println!(
        "refused (kept-alive) after {:?} as {first:?}",
        started.elapsed()
    );
    // ...and a new one is reset at once.
    let started = Instant::now();
    let err = put(&client, &table, "k1").await.expect_err("refused");
    let took = started.elapsed();
    println!("refused (new connection) after {took:?} as {err:?}");
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(proxy.refused_connections() >= 1);
    proxy.refuse(false);
    put(&client, &table, "k2").await.expect("accepted again");
}
