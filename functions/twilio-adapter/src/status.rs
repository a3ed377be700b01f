//! `POST /twilio/status`, the `<Dial action>` of an emergency call: its end.

use lambda_http::{Body, Request, Response};
use lifeline_app::ports::{CallbackStore, DialStore, EndStore, OutboxStore};
use lifeline_domain::call::CallEnded;
use lifeline_domain::presented::{CallPresented, PresentedReason};
use lifeline_domain::types::{AgentId, CallId, E164};
use lifeline_edge::http::problem;
use lifeline_edge::webhook::Problem;

use crate::adapter::{refused, twiml, TwilioAdapter};
use crate::twilio::{self, Form};

impl<S: DialStore + CallbackStore + EndStore + OutboxStore + 'static> TwilioAdapter<S> {
    /// An emergency call's `<Dial action>` (or a status callback): the call is
    /// over when the dial ended or the call completed; ending is idempotent.
    pub(crate) async fn status(&self, req: &Request, form: &Form) -> Response<Body> {
        if let Err(e) = self.verify(req, form) {
            return refused(req, e);
        }
        let over = form.get("DialCallStatus").is_some()
            || matches!(
                form.get("CallStatus"),
                Some("completed" | "busy" | "failed" | "no-answer" | "canceled")
            );
        let ids = form
            .get("CallSid")
            .and_then(|c| c.parse::<CallId>().ok())
            .zip(
                form.get("From")
                    .and_then(twilio::client_identity)
                    .and_then(|a| a.parse::<AgentId>().ok()),
            );
        let (true, Some((call_id, agent_id))) = (over, ids) else {
            return twiml(twilio::hangup());
        };
        if let Some(caller_id) = presented_caller_id(req) {
            self.report_presented(&call_id, &agent_id, form, caller_id)
                .await;
        }
        let ended = CallEnded {
            call_id,
            agent_id,
            timestamp: None,
        };
        match self.end.end(ended).await {
            // Kept (not recorded yet) is delivered too: applied on recording.
            Ok(_) => twiml(twilio::hangup()),
            Err(e) => {
                // Twilio logs it (no retry by default): the call stays active
                // until LIFELINE_ACTIVE_CALL_LIMIT_MINUTES, so the window only grows.
                tracing::error!(error = %e, "call end not recorded");
                problem(&Problem::unavailable())
            }
        }
    }
}

impl<S: DialStore + CallbackStore + EndStore + OutboxStore + 'static> TwilioAdapter<S> {
    /// The fail-open this call went out with (the adapter's own `<Dial
    /// action>` says so), reported before its end is recorded: the record is
    /// written if the core had none (so the e-mail follows, late), or
    /// corrected if it named a number the PSAP never saw. A failure is
    /// logged; the end is recorded either way.
    async fn report_presented(
        &self,
        call_id: &CallId,
        agent_id: &AgentId,
        form: &Form,
        caller_id: E164,
    ) {
        let report = CallPresented {
            call_id: call_id.clone(),
            agent_id: agent_id.clone(),
            dialed: form.get("To").unwrap_or_default().to_string(),
            caller_id,
            reason: PresentedReason::FailOpen,
        };
        match self.dial.presented(&report).await {
            Ok(outcome) => {
                tracing::warn!(call_id = %call_id, ?outcome, "Twilio fail-open reported at the call's end")
            }
            Err(e) => {
                tracing::error!(call_id = %call_id, error = %e, "Twilio fail-open not reported")
            }
        }
    }
}

/// The caller ID a fail-open's `<Dial action>` carries
/// (`?presented=fail_open&callerId=…`, form-encoded like Twilio's bodies).
fn presented_caller_id(req: &Request) -> Option<E164> {
    let query = Form::parse(req.uri().query()?.as_bytes()).ok()?;
    query.get("presented")?;
    query.get("callerId")?.parse().ok()
}
