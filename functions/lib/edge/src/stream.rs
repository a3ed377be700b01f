//! The table's stream as its one reader (stream-events) answers it: a record
//! to retry, by its sequence number (Lambda's partial batch response).

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::streams::DynamoDbBatchItemFailure;

pub use lifeline_domain::call::CallChange;

/// A record to retry, as Lambda's partial batch response names it (by its
/// sequence number): Lambda retries from it, the records after it included.
pub fn retry(record: &EventRecord) -> DynamoDbBatchItemFailure {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = record.change.sequence_number.clone();
    failure
}
