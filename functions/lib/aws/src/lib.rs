//! Lifeline's AWS adapters: they implement the services' ports over the AWS
//! SDKs. Each SDK sits behind its own cargo feature, so a function links only
//! the SDKs it calls. SDK errors are mapped here, into the ports' errors.

pub mod sdk;

#[cfg(feature = "cognito")]
pub mod cognito;
#[cfg(feature = "connect")]
pub mod connect;
#[cfg(feature = "dlq")]
pub mod dlq;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
#[cfg(feature = "eventbridge")]
pub mod eventbridge;
#[cfg(feature = "scheduler")]
pub mod scheduler;
#[cfg(feature = "secretsmanager")]
pub mod secrets;
#[cfg(feature = "sesv2")]
pub mod ses;
#[cfg(feature = "sns")]
pub mod sns;
#[cfg(feature = "sqs")]
pub mod sqs;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
