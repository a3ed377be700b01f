//! The two stores under contract: the in-memory fake, and DynamoDB Local
//! (direct, and behind the fault proxy for the late writes).

use lifeline_app::fakes::{MemoryStore, WriteOp};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_e2e::contract::{contract_table, enabled, ContractTable, ATTEMPT_TIMEOUT};
use lifeline_e2e::fault_proxy::Fault;
use std::time::Duration;

use super::{Late, Side};

/// The fake: a late write commits at once and answers after this long
/// (the caller is gone long before).
const MEMORY_ANSWERS_AFTER: Duration = Duration::from_secs(30);

pub struct MemorySide {
    store: MemoryStore,
}

impl MemorySide {
    pub fn new() -> Self {
        MemorySide {
            store: MemoryStore::new(),
        }
    }
}

impl Side for MemorySide {
    type Store = MemoryStore;

    fn store(&self) -> &MemoryStore {
        &self.store
    }

    fn late(&self, write: Late) -> &MemoryStore {
        let op = match write {
            Late::Dial => WriteOp::LeaseRecord,
            Late::CallRecord => WriteOp::CallRecord,
            Late::End => WriteOp::RecordEnd,
            Late::Release => WriteOp::Release,
            Late::SavePresence => WriteOp::SavePresence,
            Late::RemoveNumber => WriteOp::RemoveNumber,
        };
        self.store.commit_late(op, MEMORY_ANSWERS_AFTER);
        &self.store
    }

    fn give_up(&self) -> Duration {
        Duration::from_millis(100)
    }
}

pub struct DynamoSide {
    table: ContractTable,
}

impl DynamoSide {
    /// A fresh table; `None` (the contract is skipped) without `LIFELINE_E2E`.
    pub async fn start() -> Option<Self> {
        if !enabled() {
            eprintln!("skipped: the DynamoDB side of the store contracts runs with LIFELINE_E2E=1");
            return None;
        }
        Some(DynamoSide {
            table: contract_table().await,
        })
    }
}

impl Side for DynamoSide {
    type Store = DynamoStore;

    fn store(&self) -> &DynamoStore {
        &self.table.store
    }

    /// The write goes through the proxy, which forwards it (DynamoDB Local
    /// commits it) and never answers: the client times out.
    fn late(&self, write: Late) -> &DynamoStore {
        let operation = match write {
            Late::Dial | Late::End => "TransactWriteItems",
            Late::CallRecord | Late::SavePresence => "PutItem",
            Late::Release => "UpdateItem",
            Late::RemoveNumber => "DeleteItem",
        };
        self.table
            .proxy
            .inject(operation, Fault::ForwardThenDrop, 1);
        &self.table.proxied
    }

    /// Past the client's own attempt timeout: the SDK gives up first.
    fn give_up(&self) -> Duration {
        ATTEMPT_TIMEOUT * 3
    }
}
