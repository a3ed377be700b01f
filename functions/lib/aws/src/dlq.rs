//! Dead letters, for the admin CLI (`lifeline dlq`): the SQS failure queues
//! (peeked without hiding their messages), the stream's S3 failure bucket,
//! and the two ways back in — a synchronous Lambda `Invoke`, or a message sent
//! back to a queue. Each call says what it was doing when it fails.
//! One module per service ([`queue`]: SQS, [`bucket`]: S3, [`invoke`]:
//! Lambda), each adding its calls to [`DeadLetterClients`].

mod bucket;
mod clients;
mod error;
mod invoke;
mod queue;

pub use bucket::StoredObject;
pub use clients::DeadLetterClients;
pub use error::DlqError;
pub use invoke::{parse_answer, Invocation};
pub use queue::{PeekedMessage, QueueRef};

#[cfg(test)]
mod tests;
