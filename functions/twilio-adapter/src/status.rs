//! `POST /twilio/status`, the `<Dial action>` of an emergency call: its end.

use lambda_http::{Body, Request, Response};
use lifeline_app::ports::{CallbackStore, DialStore, EndStore};
use lifeline_app::service::ended::EndCallError;
use lifeline_domain::call::CallEnded;
use lifeline_domain::types::{AgentId, CallId};
use lifeline_edge::http::problem;
use lifeline_edge::webhook::Problem;

use crate::adapter::{refused, twiml, TwilioAdapter};
use crate::twilio::{self, Form};

impl<S: DialStore + CallbackStore + EndStore + 'static> TwilioAdapter<S> {
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
        let ended = CallEnded {
            call_id,
            agent_id,
            timestamp: None,
        };
        match self.end.end(ended).await {
            Ok(_) | Err(EndCallError::UnknownCall(_)) => twiml(twilio::hangup()),
            Err(e @ EndCallError::WrongAgent { .. }) => {
                tracing::warn!(error = %e, "Twilio status names another agent; ignored");
                twiml(twilio::hangup())
            }
            Err(e) => {
                // Twilio logs it (no retry by default): the call stays active
                // until LIFELINE_ACTIVE_CALL_LIMIT_MINUTES, so the window only grows.
                tracing::error!(error = %e, "call end not recorded");
                problem(&Problem::unavailable())
            }
        }
    }
}
