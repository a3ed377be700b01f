//! The AWS side in memory: queues, a bucket and functions, and what was
//! invoked and sent; and the stage holding one dead letter of each shape.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use lifeline_aws::dlq::{DlqError, Invocation, PeekedMessage, QueueRef, StoredObject};
use serde_json::{json, Value};

use super::samples::*;
use crate::*;

#[derive(Default)]
pub(super) struct FakeAws {
    pub(super) queues: Mutex<BTreeMap<String, Vec<PeekedMessage>>>,
    pub(super) objects: Mutex<BTreeMap<(String, String), String>>,
    /// What each function answers (by name); absent: `{}` without error.
    pub(super) answers: HashMap<String, Invocation>,
    pub(super) invoked: Mutex<Vec<(String, Value)>>,
    pub(super) sent: Mutex<Vec<(String, String)>>,
}

impl FakeAws {
    pub(super) fn with_queue(self, name: &str, messages: Vec<PeekedMessage>) -> Self {
        self.queues.lock().unwrap().insert(name.into(), messages);
        self
    }
    pub(super) fn with_object(self, bucket: &str, key: &str, body: &Value) -> Self {
        self.objects
            .lock()
            .unwrap()
            .insert((bucket.into(), key.into()), body.to_string());
        self
    }
    pub(super) fn answering(
        mut self,
        function: &str,
        function_error: Option<&str>,
        payload: Value,
    ) -> Self {
        self.answers.insert(
            function.into(),
            Invocation {
                function_error: function_error.map(str::to_string),
                payload,
            },
        );
        self
    }
    pub(super) fn ids_in(&self, queue: &str) -> Vec<String> {
        self.queues.lock().unwrap()[queue]
            .iter()
            .map(|m| m.message_id.clone())
            .collect()
    }
    pub(super) fn invoked(&self) -> Vec<(String, Value)> {
        self.invoked.lock().unwrap().clone()
    }
}

#[async_trait]
impl DeadLetterPort for FakeAws {
    async fn queues_with_prefix(&self, prefix: &str) -> Result<Vec<QueueRef>, DlqError> {
        Ok(self
            .queues
            .lock()
            .unwrap()
            .keys()
            .filter(|n| n.starts_with(prefix))
            .map(|n| queue(n))
            .collect())
    }
    async fn peek(&self, q: &QueueRef) -> Result<Vec<PeekedMessage>, DlqError> {
        Ok(self.queues.lock().unwrap()[&q.name].clone())
    }
    async fn delete_message(&self, q: &QueueRef, id: &str) -> Result<bool, DlqError> {
        let mut queues = self.queues.lock().unwrap();
        let messages = queues.get_mut(&q.name).unwrap();
        let before = messages.len();
        messages.retain(|m| m.message_id != id);
        Ok(messages.len() < before)
    }
    async fn send(&self, queue_name: &str, body: &str) -> Result<(), DlqError> {
        self.sent
            .lock()
            .unwrap()
            .push((queue_name.into(), body.into()));
        Ok(())
    }
    async fn invoke(&self, function: &str, payload: &Value) -> Result<Invocation, DlqError> {
        self.invoked
            .lock()
            .unwrap()
            .push((function.into(), payload.clone()));
        Ok(self.answers.get(function).cloned().unwrap_or(Invocation {
            function_error: None,
            payload: json!({}),
        }))
    }
    async fn object_keys(&self, bucket: &str) -> Result<Vec<String>, DlqError> {
        if !bucket.starts_with("lifeline-prod-") {
            return Err(DlqError::NotFound {
                operation: "ListObjectsV2",
                target: bucket.into(),
            });
        }
        Ok(self
            .objects
            .lock()
            .unwrap()
            .keys()
            .filter(|(b, _)| b == bucket)
            .map(|(_, k)| k.clone())
            .collect())
    }
    async fn object(&self, bucket: &str, key: &str) -> Result<StoredObject, DlqError> {
        let body = self.objects.lock().unwrap()[&(bucket.to_string(), key.to_string())].clone();
        Ok(StoredObject {
            key: key.into(),
            body,
            last_modified: None,
        })
    }
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), DlqError> {
        self.objects
            .lock()
            .unwrap()
            .remove(&(bucket.to_string(), key.to_string()));
        Ok(())
    }
}

pub(super) fn places(bucket: Option<&str>) -> Places {
    Places {
        stage: stage(),
        failure_bucket: bucket.map(str::to_string),
        only: None,
    }
}

/// A fake with one of each shape.
pub(super) fn every_shape() -> FakeAws {
    FakeAws::default()
        .with_queue(
            "lifeline-prod-notifier-failures",
            vec![
                message(
                    "11111111-aaaa-4bbb-8ccc-000000000001",
                    &async_failure(),
                    &[],
                ),
                message(
                    "11111111-aaaa-4bbb-8ccc-000000000002",
                    &json!({"hello": "+442079460018"}),
                    &[],
                ),
            ],
        )
        .with_queue(
            "lifeline-prod-stream-events-failures",
            vec![message(
                "22222222-aaaa-4bbb-8ccc-000000000001",
                &undecodable_record(),
                &[],
            )],
        )
        .with_queue(
            "lifeline-prod-bus-delivery-failures",
            vec![rule_dead_letter()],
        )
        .with_queue(
            "lifeline-prod-lease-expiry-dlq",
            vec![schedule_dead_letter()],
        )
        .with_queue(
            "lifeline-prod-call-outbox-dlq",
            vec![message(
                "33333333-aaaa-4bbb-8ccc-000000000001",
                &outbox_body(),
                &[],
            )],
        )
        // Not failure queues, or not this stage's: never read.
        .with_queue("lifeline-prod-call-outbox", vec![])
        .with_queue("lifeline-staging-notifier-dlq", vec![])
        .with_object("lifeline-prod-stream-failures", S3_KEY, &s3_batch_record())
}

pub(super) async fn letters_of(fake: &FakeAws) -> Vec<DeadLetter> {
    gather(fake, &places(Some("lifeline-prod-stream-failures")))
        .await
        .unwrap()
        .letters
}

pub(super) fn by_kind(letters: &[DeadLetter], kind: Kind) -> &DeadLetter {
    letters
        .iter()
        .find(|l| l.kind == kind)
        .unwrap_or_else(|| panic!("a {kind:?}"))
}
