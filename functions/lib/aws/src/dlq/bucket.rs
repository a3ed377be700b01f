//! The stream's failure bucket: its objects listed, read whole, deleted.

use chrono::{DateTime, Utc};

use super::clients::DeadLetterClients;
use super::error::{error_chain, sdk_failure, DlqError};

/// An object of the failure bucket, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub body: String,
    pub last_modified: Option<DateTime<Utc>>,
}

impl DeadLetterClients {
    /// Every object key of `bucket` (`ListObjectsV2`, all pages).
    pub async fn object_keys(&self, bucket: &str) -> Result<Vec<String>, DlqError> {
        let mut keys = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .set_continuation_token(next.take())
                .send()
                .await
                .map_err(|e| sdk_failure("ListObjectsV2", bucket, e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key())
                    .map(str::to_string),
            );
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => next = Some(t.to_string()),
                _ => return Ok(keys),
            }
        }
    }

    /// The object `key` of `bucket`, read whole as UTF-8 text.
    pub async fn object(&self, bucket: &str, key: &str) -> Result<StoredObject, DlqError> {
        let target = || format!("s3://{bucket}/{key}");
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_failure("GetObject", &target(), e))?;
        let last_modified = out
            .last_modified()
            .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()));
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| DlqError::Unreachable {
                operation: "GetObject",
                target: target(),
                detail: error_chain(&e),
            })?
            .into_bytes();
        let body = String::from_utf8(bytes.to_vec()).map_err(|e| DlqError::NotText {
            operation: "GetObject",
            target: target(),
            detail: e.to_string(),
        })?;
        Ok(StoredObject {
            key: key.to_string(),
            body,
            last_modified,
        })
    }

    /// Deletes the object `key` of `bucket`.
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), DlqError> {
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_failure("DeleteObject", &format!("s3://{bucket}/{key}"), e))?;
        Ok(())
    }
}
