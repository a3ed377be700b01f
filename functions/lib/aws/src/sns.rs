//! The SNS adapter: one transactional text message to one phone number
//! (`Publish` with `PhoneNumber`; no topic, so nobody else gets it).

use async_trait::async_trait;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::sdk::error_code;
use lifeline_app::ports::{ErrorCode, SendError, SmsSender};
use lifeline_domain::types::E164;

/// The attribute that makes SNS route a text as transactional (higher
/// delivery priority than `Promotional`, sent at any hour).
pub const SMS_TYPE_ATTRIBUTE: &str = "AWS.SNS.SMS.SMSType";
pub const TRANSACTIONAL: &str = "Transactional";

#[derive(Debug, Clone)]
pub struct SnsSms {
    client: Client,
}

impl SnsSms {
    pub fn new(client: Client) -> Self {
        SnsSms { client }
    }

    /// A client on the shared configuration (its TLS stack and timeouts).
    pub fn from_conf(conf: &aws_config::SdkConfig) -> Self {
        SnsSms::new(Client::new(conf))
    }
}

/// Whether retrying cannot help: the number, the account or the request is
/// refused. Throttling (SNS answers it as a 400 `Throttling`), SNS's
/// internal errors and the network are retried.
fn is_permanent(e: &SdkError<PublishError, HttpResponse>) -> bool {
    match e {
        SdkError::ServiceError(se) => match se.err() {
            PublishError::InternalErrorException(_) | PublishError::KmsThrottlingException(_) => {
                false
            }
            PublishError::InvalidParameterException(_)
            | PublishError::InvalidParameterValueException(_)
            | PublishError::AuthorizationErrorException(_)
            | PublishError::EndpointDisabledException(_)
            | PublishError::NotFoundException(_)
            | PublishError::ValidationException(_) => true,
            other => permanent_by_code(other.code(), se.raw().status().as_u16()),
        },
        SdkError::ConstructionFailure(_) => true,
        _ => false,
    }
}

/// A code the SDK has no variant for: throttling and 5xx are transient,
/// another 4xx is the request's own fault.
fn permanent_by_code(code: Option<&str>, status: u16) -> bool {
    let throttled = code.is_some_and(|c| {
        matches!(
            c,
            "Throttling" | "ThrottlingException" | "ThrottledException" | "RequestLimitExceeded"
        )
    });
    !throttled && (400..500).contains(&status) && status != 429
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send_sms(&self, to: &E164, message: &str) -> Result<Option<String>, SendError> {
        let sms_type = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(TRANSACTIONAL)
            .build()
            .map_err(|_| SendError::Permanent(ErrorCode::new("InvalidMessage")))?;
        let result = self
            .client
            .publish()
            .phone_number(to.as_str())
            .message(message)
            .message_attributes(SMS_TYPE_ATTRIBUTE, sms_type)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.message_id().map(str::to_string)),
            Err(e) => {
                let code = error_code(&e);
                tracing::warn!(to = %to.redacted(), error = %code, "text message not sent");
                Err(if is_permanent(&e) {
                    SendError::Permanent(code)
                } else {
                    SendError::Transient(code)
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_transient_other_4xx_permanent() {
        assert!(!permanent_by_code(Some("Throttling"), 400));
        assert!(!permanent_by_code(None, 429));
        assert!(!permanent_by_code(Some("ServiceUnavailable"), 503));
        assert!(permanent_by_code(Some("OptedOut"), 400));
        assert!(permanent_by_code(None, 403));
    }
}
