//! The SES v2 adapter: a simple HTML + text message (no SES stored template:
//! Lifeline renders its own, the same on AWS and the emulators).

use async_trait::async_trait;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

use lifeline_app::ports::{EmailSender, SendError};
use lifeline_domain::notification::RenderedEmail;
use lifeline_domain::types::Email;

#[derive(Debug, Clone)]
pub struct SesSender {
    client: Client,
}

impl SesSender {
    pub fn new(client: Client) -> Self {
        SesSender { client }
    }
}

fn content(data: &str) -> Result<Content, SendError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| SendError::Permanent(e.to_string()))
}

#[async_trait]
impl EmailSender for SesSender {
    async fn send(
        &self,
        from: &Email,
        to: &[Email],
        email: &RenderedEmail,
    ) -> Result<String, SendError> {
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .html(content(&email.html)?)
                    .text(content(&email.text)?)
                    .build(),
            )
            .build();
        let destination = Destination::builder()
            .set_to_addresses(Some(to.iter().map(|e| e.as_str().to_string()).collect()))
            .build();
        let result = self
            .client
            .send_email()
            .from_email_address(from.as_str())
            .destination(destination)
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.message_id().unwrap_or_default().to_string()),
            Err(e) => {
                let text = aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string();
                // Retrying cannot fix these: the message, the sender or the account is refused.
                let permanent = matches!(
                    e.as_service_error(),
                    Some(
                        SendEmailError::MessageRejected(_)
                            | SendEmailError::MailFromDomainNotVerifiedException(_)
                            | SendEmailError::BadRequestException(_)
                            | SendEmailError::NotFoundException(_)
                            | SendEmailError::AccountSuspendedException(_)
                    )
                );
                Err(if permanent {
                    SendError::Permanent(text)
                } else {
                    SendError::Transient(text)
                })
            }
        }
    }
}

/// Whether `identity` exists in SES and may send (the emulator reports
/// What SES says of the sending identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityState {
    Missing,
    Unverified,
    Verified,
}

/// `VerifiedForSendingStatus` false but `VerificationStatus` SUCCESS).
pub async fn identity_state(
    client: &Client,
    identity: &str,
) -> Result<IdentityState, lifeline_app::ports::StoreError> {
    match client
        .get_email_identity()
        .email_identity(identity)
        .send()
        .await
    {
        Ok(r) => {
            let verified = r.verified_for_sending_status()
                || r.verification_status()
                    == Some(&aws_sdk_sesv2::types::VerificationStatus::Success);
            Ok(if verified {
                IdentityState::Verified
            } else {
                IdentityState::Unverified
            })
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|x| x.is_not_found_exception()) =>
        {
            Ok(IdentityState::Missing)
        }
        Err(e) => Err(lifeline_app::ports::StoreError::Unavailable(
            aws_sdk_sesv2::error::DisplayErrorContext(e).to_string(),
        )),
    }
}
