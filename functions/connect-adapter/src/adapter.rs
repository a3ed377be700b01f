//! The adapter: its services, the Lambda entry, and a flow's answer, which
//! fails open (an emergency dial is always answered so the flow places it).

use lifeline_app::clock::Clock;
use lifeline_app::ports::{CallOutbox, CallbackStore, DialStore, EndStore};
use lifeline_app::service::callback::CallbackService;
use lifeline_app::service::dial::DialService;
use lifeline_app::service::ended::EndService;
use lifeline_domain::call::{InboundAnswer, InboundCall, OutboundDial};
use lifeline_domain::numbers::OutsideLinePrefix;
use lifeline_edge::config::Config;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

use crate::attributes::{fail_open_outbound, inbound_attributes, outbound_attributes, Attributes};
use crate::fallback::log_fallbacks;
use crate::flow::{flow_request, str_at, Flow, FlowRequest};

/// Connect waits at most 8 s for a flow's Lambda; Lifeline answers well inside
/// (the dial's own budget is 2.5 s by default; this bounds everything else).
pub const ANSWER_BUDGET: Duration = Duration::from_secs(3);

/// The outbox send after a fail-open (one SQS request); with the answer
/// budget still well inside Connect's 8 s.
pub const REPORT_BUDGET: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Retried by Lambda's asynchronous invocation (then its DLQ).
    #[error("call end not recorded: {0}")]
    EndNotRecorded(String),
    #[error("unrecognised event: {0}")]
    Unrecognised(String),
}

pub struct ConnectAdapter<S> {
    pub(crate) dial: DialService<S>,
    pub(crate) callback: CallbackService<S>,
    pub(crate) end: EndService<S>,
    pub(crate) prefix: OutsideLinePrefix,
}

impl<S: DialStore + CallbackStore + EndStore + 'static> ConnectAdapter<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, config: Arc<Config>) -> Self {
        ConnectAdapter {
            prefix: config.settings.outside_line_prefix.clone(),
            dial: DialService::new(store.clone(), clock.clone(), config.settings.clone()),
            callback: CallbackService::new(store.clone(), clock.clone(), config.settings.clone()),
            end: EndService::new(store, clock, config.settings.clone()),
        }
    }

    /// Hands emergency calls the table cannot take in time to `outbox`.
    pub fn with_outbox(mut self, outbox: Arc<dyn CallOutbox>) -> Self {
        self.dial = self.dial.with_outbox(outbox);
        self
    }

    /// The Lambda entry: a contact flow's invocation or a contact event.
    pub async fn invoke(&self, payload: Value) -> Result<Value, ConnectError> {
        if payload.get("Details").is_some() {
            let answer = self.on_flow(payload).await;
            return Ok(json!(answer));
        }
        if payload.get("detail-type").and_then(Value::as_str)
            == Some("Amazon Connect Contact Event")
        {
            return self.on_contact_event(payload).await;
        }
        Err(ConnectError::Unrecognised(
            "neither a contact flow event (Details) nor an Amazon Connect Contact Event".into(),
        ))
    }

    /// A flow's invocation; always an answer the flow can act on.
    pub async fn on_flow(&self, payload: Value) -> Attributes {
        match flow_request(&payload) {
            FlowRequest::Outbound(dial) => self.whisper(dial).await,
            FlowRequest::Inbound(call) => {
                let instance = str_at(&payload, "/Details/ContactData/InstanceARN");
                self.route_callback(call, instance.as_deref()).await
            }
            FlowRequest::Unusable {
                flow: Flow::OutboundWhisper,
                dialed,
                caller_id,
                reason,
            } => {
                tracing::error!(%reason, "unusable outbound whisper invocation; failing open");
                fail_open_outbound(
                    dialed.as_deref(),
                    caller_id.as_deref(),
                    &self.prefix,
                    "invalid_event",
                )
            }
            FlowRequest::Unusable {
                flow: Flow::Inbound,
                reason,
                ..
            } => {
                tracing::error!(%reason, "unusable inbound flow invocation; normal routing");
                inbound_attributes(&InboundAnswer::Continue {}, None)
            }
        }
    }

    /// The outbound whisper: the core's dial, on its own task (a panic below
    /// fails open too) and within the answer budget, else failing open.
    async fn whisper(&self, dial: OutboundDial) -> Attributes {
        let placed = dial.clone();
        let service = self.dial.clone();
        let work = tokio::spawn(async move { service.dial(dial).await });
        let reason = match tokio::time::timeout(ANSWER_BUDGET, work).await {
            Ok(Ok(answer)) => return outbound_attributes(&answer),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "outbound whisper failed; failing open");
                "internal_error"
            }
            Err(_) => {
                tracing::error!("outbound whisper over its budget; failing open");
                "timeout"
            }
        };
        let answer = fail_open_outbound(
            Some(&placed.dialed),
            Some(placed.from.as_str()),
            &self.prefix,
            reason,
        );
        if answer.get("lifelineAction").map(String::as_str) == Some("emergency") {
            self.report_fail_open(&placed).await;
        }
        answer
    }

    /// What Connect is about to place (the own number) goes to the outbox,
    /// so the record says what the PSAP sees; bounded, as the call waits.
    async fn report_fail_open(&self, placed: &OutboundDial) {
        match tokio::time::timeout(REPORT_BUDGET, self.dial.report_fail_open(placed)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(call_id = %placed.call_id, error = %e,
                    "fail-open not kept in the outbox; the call may stay unrecorded");
            }
            Err(_) => {
                tracing::error!(call_id = %placed.call_id,
                    "fail-open report over its budget; the call may stay unrecorded");
            }
        }
    }

    /// The inbound flow of a callback number: the core's callback answer
    /// within the answer budget, else normal routing.
    async fn route_callback(&self, call: InboundCall, instance: Option<&str>) -> Attributes {
        match tokio::time::timeout(ANSWER_BUDGET, self.callback.route(call)).await {
            Ok(answer) => {
                log_fallbacks(&answer, instance);
                inbound_attributes(&answer, instance)
            }
            Err(_) => {
                tracing::error!("inbound flow over its budget; normal routing");
                inbound_attributes(&InboundAnswer::Continue {}, None)
            }
        }
    }
}

/// How the Lambda runtime reports a failed invocation (EventBridge's
/// asynchronous invocation then retries, then the on-failure destination).
impl From<ConnectError> for lambda_runtime::Diagnostic {
    fn from(e: ConnectError) -> Self {
        let error_type = match e {
            ConnectError::EndNotRecorded(_) => "StoreUnavailable",
            ConnectError::Unrecognised(_) => "UnrecognisedEvent",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}
