//! What went wrong with a dead-letter call: the operation, its target, and
//! what happened (not found, denied, unreachable, or the service's words).

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    #[error("{operation} {target}: not found")]
    NotFound {
        operation: &'static str,
        target: String,
    },
    #[error("{operation} {target}: access denied ({code}): {message}")]
    Denied {
        operation: &'static str,
        target: String,
        code: String,
        message: String,
    },
    #[error("{operation} {target}: the service could not be reached: {detail}")]
    Unreachable {
        operation: &'static str,
        target: String,
        detail: String,
    },
    #[error("{operation} {target}: {code}: {message}")]
    Refused {
        operation: &'static str,
        target: String,
        code: String,
        message: String,
    },
    #[error("{operation} {target}: {detail}")]
    Failed {
        operation: &'static str,
        target: String,
        detail: String,
    },
    #[error("{operation} {target}: the content is not text: {detail}")]
    NotText {
        operation: &'static str,
        target: String,
        detail: String,
    },
}

/// An SDK error as what happened: not found, denied, unreachable, or the
/// service's own code and message.
pub(super) fn sdk_failure<E, R>(
    operation: &'static str,
    target: &str,
    e: SdkError<E, R>,
) -> DlqError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    let target = target.to_string();
    match &e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown").to_string();
            let message = se.err().message().unwrap_or_default().to_string();
            if is_not_found(&code) {
                DlqError::NotFound { operation, target }
            } else if code.contains("AccessDenied") || code.contains("Unauthorized") {
                DlqError::Denied {
                    operation,
                    target,
                    code,
                    message,
                }
            } else {
                DlqError::Refused {
                    operation,
                    target,
                    code,
                    message,
                }
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => DlqError::Unreachable {
            operation,
            target,
            detail: error_chain(&e),
        },
        _ => DlqError::Failed {
            operation,
            target,
            detail: error_chain(&e),
        },
    }
}

/// An error and its causes, each as it displays itself (`a: b: c`), once each.
pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

pub(super) fn is_not_found(code: &str) -> bool {
    matches!(
        code,
        "AWS.SimpleQueueService.NonExistentQueue"
            | "QueueDoesNotExist"
            | "ResourceNotFoundException"
            | "NoSuchBucket"
            | "NoSuchKey"
            | "NotFound"
    )
}
