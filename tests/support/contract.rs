//! The DynamoDB side of the store contract suite (`e2e/store_contract`): a
//! fresh table on DynamoDB Local, and a second store on the same table
//! behind a [`FaultProxy`] whose client gives up quickly (one attempt, a
//! short attempt timeout), for writes that commit after their caller gave up.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use std::time::Duration;

use crate::fault_proxy::FaultProxy;

/// How long the proxied client waits for one answer before it gives up: long
/// enough for DynamoDB Local to commit a forwarded write on a busy machine.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);

/// Whether the end-to-end suites are asked for (`LIFELINE_E2E=1`): the
/// DynamoDB side of the contracts runs only then.
pub fn enabled() -> bool {
    std::env::var_os("LIFELINE_E2E").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A store on DynamoDB Local: its own table, and the same table behind a
/// fault proxy.
pub struct ContractTable {
    /// Direct: every write answered.
    pub store: DynamoStore,
    /// The same table through `proxy`, with a client that gives up after
    /// [`ATTEMPT_TIMEOUT`] and does not retry.
    pub proxied: DynamoStore,
    pub proxy: FaultProxy,
}

/// A new table `ct-<uuid>` with the deployed schema (key, `available` index,
/// stream), and the proxied store on it.
pub async fn contract_table() -> ContractTable {
    let upstream = crate::dynamodb_endpoint();
    let conf = load_aws_config(ClientProfile::Admin).await;
    let table = format!("ct-{}", uuid::Uuid::new_v4().simple());
    let store = DynamoStore::from_conf(&conf, &table);
    store
        .create_table()
        .await
        .expect("create table in DynamoDB Local");
    let proxy = FaultProxy::start(&upstream).await.expect("proxy starts");
    let client = aws_sdk_dynamodb::config::Builder::from(&conf)
        .endpoint_url(proxy.url())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .build();
    let proxied = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(client), &table);
    ContractTable {
        store,
        proxied,
        proxy,
    }
}
