//! The SES v2 adapter: a simple HTML + text message (no SES stored template:
//! Lifeline renders its own, the same on AWS and the emulators).

use async_trait::async_trait;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

use crate::sdk::error_code;
use lifeline_app::ports::{EmailSender, ErrorCode, SendError};
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
        .map_err(|_| SendError::Permanent(ErrorCode::new("InvalidMessage")))
}

#[async_trait]
impl EmailSender for SesSender {
    /// One message, to exactly one address (`To`; no `Cc`, no `Bcc`).
    async fn send(
        &self,
        from: &Email,
        to: &Email,
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
        let destination = Destination::builder().to_addresses(to.as_str()).build();
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
                let code = error_code(&e);
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
                    SendError::Permanent(code)
                } else {
                    SendError::Transient(code)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{canned_ses_client, CannedAnswer};
    use lifeline_app::clock::FixedClock;
    use lifeline_app::fakes::{MemoryStore, RecordedMetrics};
    use lifeline_app::ports::NotificationOutcome;
    use lifeline_app::service::notify::{Notified, NotifyService};
    use lifeline_domain::call::{AgentProfile, EmergencyCall};
    use lifeline_domain::numbers::Country;
    use lifeline_domain::recipient::Recipients;
    use lifeline_domain::route::{NumberType, Route};
    use std::sync::{Arc, Mutex};

    /// What SES says when a recipient (in the sandbox) is not verified: the
    /// address is in the message.
    const REJECTED: &str = "Email address is not verified. The following identities failed the check in region US-EAST-1: Ana Diaz <ana.diaz@example.com>, sup@example.com";

    fn email() -> RenderedEmail {
        RenderedEmail {
            subject: "s".into(),
            html: "<p>h</p>".into(),
            text: "t".into(),
        }
    }

    async fn send(answer: CannedAnswer) -> (Result<String, SendError>, Vec<String>) {
        let (client, requests) = canned_ses_client(answer);
        let r = SesSender::new(client)
            .send(
                &"lifeline@example.com".parse().unwrap(),
                &"sup@example.com".parse().unwrap(),
                &email(),
            )
            .await;
        let requests = requests.lock().unwrap().clone();
        (r, requests)
    }

    #[tokio::test]
    async fn one_message_goes_to_exactly_one_address() {
        let (r, requests) = send(CannedAnswer::accepted()).await;
        assert_eq!(r.unwrap(), "canned-1");
        assert_eq!(requests.len(), 1);
        let body: serde_json::Value = serde_json::from_str(&requests[0]).unwrap();
        assert_eq!(
            body["Destination"],
            serde_json::json!({"ToAddresses": ["sup@example.com"]}),
            "no Cc, no Bcc, one To"
        );
    }

    #[tokio::test]
    async fn errors_keep_their_code_only() {
        let cases = [
            (
                CannedAnswer::error(400, "MessageRejected", REJECTED),
                SendError::Permanent(ErrorCode::new("MessageRejected")),
            ),
            (
                CannedAnswer::error(400, "AccountSuspendedException", REJECTED),
                SendError::Permanent(ErrorCode::new("AccountSuspendedException")),
            ),
            (
                CannedAnswer::error(429, "TooManyRequestsException", REJECTED),
                SendError::Transient(ErrorCode::new("TooManyRequestsException")),
            ),
            (
                CannedAnswer::error(400, "LimitExceededException", REJECTED),
                SendError::Transient(ErrorCode::new("LimitExceededException")),
            ),
            (
                CannedAnswer::Http {
                    status: 429,
                    error_type: None,
                    body: serde_json::json!({ "message": REJECTED }).to_string(),
                },
                SendError::Transient(ErrorCode::new("Throttling")),
            ),
            (
                CannedAnswer::Http {
                    status: 503,
                    error_type: None,
                    body: format!("<html>{REJECTED}</html>"),
                },
                SendError::Transient(ErrorCode::new("ServerError")),
            ),
            (
                CannedAnswer::ConnectionFailed,
                SendError::Transient(ErrorCode::new("Transport")),
            ),
        ];
        for (answer, want) in cases {
            let (got, _) = send(answer.clone()).await;
            let got = got.unwrap_err();
            assert_eq!(got, want, "{answer:?}");
            for shown in [got.to_string(), format!("{got:?}")] {
                assert!(!shown.contains('@'), "{shown}");
            }
        }
    }

    #[test]
    fn codes_that_are_not_codes_are_unknown() {
        assert_eq!(
            ErrorCode::new("MessageRejected").as_str(),
            "MessageRejected"
        );
        assert_eq!(ErrorCode::new("a@example.com").as_str(), "Unknown");
        assert_eq!(ErrorCode::new("two words").as_str(), "Unknown");
        assert_eq!(ErrorCode::new("").as_str(), "Unknown");
        assert_eq!(ErrorCode::new(&"x".repeat(65)).as_str(), "Unknown");
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The notifier's service over this adapter, for call c-1 of agent a-42
    /// (recipients: two addresses), its logs captured as deployed (JSON, info).
    async fn notify_through_ses(
        answer: CannedAnswer,
    ) -> (
        Result<Notified, String>,
        Option<NotificationOutcome>,
        String,
    ) {
        let store = Arc::new(MemoryStore::new());
        let t0 = chrono::DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        store.add_agent(AgentProfile {
            id: "a-42".parse().unwrap(),
            name: "Ana".into(),
            email: "ana.diaz@example.com".parse().ok(),
            country: Some(Country::US),
            other_country: None,
            source_number: "+14255550100".parse().unwrap(),
            number_type: NumberType::CallingPlan,
            recipients: Recipients::parse("sup@example.com; ana.diaz@example.com").unwrap(),
            fallback: vec![],
            outbound_profile: None,
            platform: Default::default(),
        });
        let call = EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: "911".into(),
            emergency_number: "911".into(),
            test: false,
            country: Some(Country::US),
            location: None,
            location_source: None,
            caller_id: "+14255550199".parse().unwrap(),
            leased_number: Some("+14255550199".parse().unwrap()),
            lease_id: None,
            callback_expires_at: Some(t0 + chrono::Duration::minutes(60)),
            route: Route::DirectOffer,
            degraded: false,
            reason: None,
            dialed_at: t0,
            desktop_time: None,
            ended_at: None,
        };
        store.with_state(|s| s.calls.insert(call.call_id.clone(), call));
        let (client, _) = canned_ses_client(answer);
        let service = NotifyService::new(
            store.clone(),
            Arc::new(SesSender::new(client)),
            Arc::new(FixedClock::at(t0 + chrono::Duration::seconds(5))),
            "lifeline@example.com".parse().unwrap(),
        )
        .with_metrics(Arc::new(RecordedMetrics::default()));
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        let result = {
            let _guard = tracing::subscriber::set_default(subscriber);
            let r = service
                .on_call_started(&"c-1".parse().unwrap(), &"a-42".parse().unwrap())
                .await
                .map_err(|e| e.to_string());
            if let Err(e) = &r {
                // As the stream handler logs a record it reports for retry.
                tracing::warn!(error = %e, "stream record not processed; will retry");
            }
            r
        };
        let outcome = store.with_state(|s| {
            s.notification_outcomes
                .get(&"c-1".parse().unwrap())
                .cloned()
        });
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        (result, outcome, text)
    }

    #[tokio::test]
    async fn an_ses_refusal_quoting_addresses_leaves_none_in_the_record_or_the_logs() {
        let (result, outcome, logs) =
            notify_through_ses(CannedAnswer::error(400, "MessageRejected", REJECTED)).await;
        assert_eq!(result, Ok(Notified::Failed));
        let outcome = outcome.expect("recorded");
        assert_eq!(outcome.state(), "failed");
        let detail = outcome.detail();
        assert_eq!(detail, "sent 0 of 2; refused 2 (2 MessageRejected)");
        assert!(!detail.contains('@'), "{detail}");
        assert!(!format!("{outcome:?}").contains('@'));
        assert!(
            logs.contains("refused permanently") && logs.contains("MessageRejected"),
            "the refusal is logged, by code:\n{logs}"
        );
        assert!(!logs.contains('@'), "an address in the logs:\n{logs}");
    }

    #[tokio::test]
    async fn a_transient_ses_error_quoting_addresses_leaves_none_in_the_logs() {
        let (result, outcome, logs) = notify_through_ses(CannedAnswer::error(
            429,
            "TooManyRequestsException",
            REJECTED,
        ))
        .await;
        let e = result.unwrap_err();
        assert!(e.contains("TooManyRequestsException"), "{e}");
        assert!(!e.contains('@'), "{e}");
        assert_eq!(outcome, None, "retried, not recorded");
        assert!(logs.contains("will retry"), "{logs}");
        assert!(!logs.contains('@'), "an address in the logs:\n{logs}");
    }
}
