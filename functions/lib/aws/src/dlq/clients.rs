//! The clients the dead-letter calls go through, one per service.

/// The clients the dead-letter commands use, built from the shared AWS
/// configuration (endpoints from `AWS_ENDPOINT_URL*` only).
#[derive(Debug, Clone)]
pub struct DeadLetterClients {
    pub sqs: aws_sdk_sqs::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub s3: aws_sdk_s3::Client,
}

impl DeadLetterClients {
    pub fn from_conf(conf: &aws_config::SdkConfig) -> Self {
        // An emulator answers at one host (moto, LocalStack): path-style
        // bucket addressing, not `bucket.host`.
        let emulated = conf.endpoint_url().is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some_and(|v| !v.is_empty());
        let s3 = aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(emulated)
            .build();
        DeadLetterClients {
            sqs: aws_sdk_sqs::Client::new(conf),
            lambda: aws_sdk_lambda::Client::new(conf),
            s3: aws_sdk_s3::Client::from_conf(s3),
        }
    }
}
