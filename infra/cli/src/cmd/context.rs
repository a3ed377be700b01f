//! What every handler may use, loaded once: the same AWS configuration as
//! the functions (`AWS_ENDPOINT_URL*`, `AWS_REGION`), the table's store, and
//! the time the command started.

use chrono::{DateTime, Utc};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};

pub struct Context {
    pub conf: aws_config::SdkConfig,
    /// The table's name, as given (`--table`, `LIFELINE_TABLE`).
    pub table: String,
    pub store: DynamoStore,
    pub now: DateTime<Utc>,
}

impl Context {
    pub async fn load(table: String) -> Self {
        let conf = load_aws_config(ClientProfile::Admin).await;
        let store = DynamoStore::from_conf(&conf, &table);
        Context {
            conf,
            table,
            store,
            now: Utc::now(),
        }
    }
}
