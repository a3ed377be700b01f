//! `POST /twilio/outbound`, the TwiML App's Voice URL: the agent's dial,
//! translated onto the canonical dial and answered with a `<Dial>`. It fails
//! open: whatever goes wrong, an emergency-looking dial is placed.

use lambda_http::{Body, Request, Response};
use lifeline_app::ports::{CallbackStore, DialStore, EndStore, OutboxStore};
use lifeline_domain::call::{Location, OutboundAnswer, OutboundDial};
use lifeline_domain::numbers::{
    emergency_digits_anywhere, short_code_from_e164, OutsideLinePrefix,
};
use lifeline_domain::types::{AgentId, CallId, E164};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::adapter::{refused, twiml, TwilioAdapter, ANSWER_BUDGET};
use crate::twilio::{self, Form};

/// The `from` the core gets when no caller ID can be had from the request,
/// the configuration or the agent profile: never presented (the `<Dial>`
/// then has no `callerId`); the record and the e-mail say "not known".
pub const NO_CALLER_ID: &str = "+10000000000";

/// The outbound route's request, translated (pure).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    /// What the agent dialed (`To`), E.164-formatted short codes undone.
    pub dialed: String,
    /// The caller ID of an ordinary call: `CallerId`, else the configured
    /// one, else (for an emergency dial) the agent profile's own number.
    pub caller_id: Option<E164>,
    /// The canonical dial, when the request has all it needs. Without a
    /// caller ID its `from` is [`NO_CALLER_ID`] until the profile gives one.
    pub dial: Result<OutboundDial, String>,
}

/// `CallSid` → `callId`, `From` without `client:` → `agentId`, `To` →
/// `dialed`; the desktop may pass `CallerId`, `Country` and `Address` as
/// custom parameters of `device.connect()`.
pub fn outbound_request(form: &Form, default_caller_id: Option<&E164>) -> OutboundRequest {
    let to = form.get("To").unwrap_or_default().trim();
    let dialed = short_code_from_e164(to).unwrap_or_else(|| to.to_string());
    let caller_id = form
        .get("CallerId")
        .and_then(|c| c.trim().parse::<E164>().ok())
        .or_else(|| default_caller_id.cloned());
    let dial = (|| {
        let call_id: CallId = form
            .get("CallSid")
            .and_then(|c| c.parse().ok())
            .ok_or("CallSid missing or invalid")?;
        let agent_id: AgentId = form
            .get("From")
            .and_then(twilio::client_identity)
            .and_then(|a| a.parse().ok())
            .ok_or("From is not a client: identity")?;
        if dialed.is_empty() || dialed.len() > 64 {
            return Err("To missing or over 64 characters");
        }
        let from = caller_id.clone().unwrap_or_else(no_caller_id);
        Ok(OutboundDial {
            call_id,
            agent_id,
            dialed: dialed.clone(),
            from,
            location: location_of(form),
            registered_location: false,
            timestamp: None,
        })
    })()
    .map_err(String::from);
    OutboundRequest {
        dialed,
        caller_id,
        dial,
    }
}

/// The desktop's `Country` and `Address` custom parameters, when it
/// passes either (a location with neither is none).
fn location_of(form: &Form) -> Option<Location> {
    let country = form
        .get("Country")
        .map(str::trim)
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|c| c.to_ascii_uppercase());
    let address = form
        .get("Address")
        .map(str::trim)
        .filter(|a| !a.is_empty() && a.len() <= 500)
        .map(String::from);
    (country.is_some() || address.is_some()).then_some(Location {
        country,
        address,
        lat: None,
        lon: None,
        ..Default::default()
    })
}

/// The stand-in `from` of a dial whose caller ID is not known.
pub fn no_caller_id() -> E164 {
    E164::unknown()
}

/// The TwiML for the core's dial answer: an emergency goes to the number to
/// place, from the leased caller ID, never recorded, its end reported to
/// `status_url`; anything else is dialed as asked with the normal caller ID.
/// The [`NO_CALLER_ID`] stand-in is never presented.
pub fn outbound_twiml(
    answer: &OutboundAnswer,
    request: &OutboundRequest,
    status_url: &str,
) -> String {
    match answer {
        OutboundAnswer::Emergency {
            emergency_number,
            caller_id,
            ..
        } => twilio::dial_number(
            emergency_number,
            Some(caller_id.as_str()).filter(|c| *c != NO_CALLER_ID),
            Some(status_url),
            true,
        ),
        OutboundAnswer::Continue { .. } => ordinary_twiml(request),
    }
}

fn ordinary_twiml(request: &OutboundRequest) -> String {
    twilio::dial_number(
        &request.dialed,
        request.caller_id.as_ref().map(E164::as_str),
        None,
        false,
    )
}

/// Failing open: an emergency-looking dial is placed as dialed with whatever
/// caller ID there is; anything else is dialed as asked. `report_url`: where
/// the call's end reports the caller ID it went out with (an authenticated
/// dial the core could not answer for).
pub fn fail_open_twiml(
    request: &OutboundRequest,
    prefix: &OutsideLinePrefix,
    report_url: Option<&str>,
) -> String {
    match emergency_digits_anywhere(&request.dialed, prefix) {
        Some(number) => twilio::dial_number(
            number,
            request.caller_id.as_ref().map(E164::as_str),
            report_url,
            true,
        ),
        None => ordinary_twiml(request),
    }
}

/// The `<Dial action>` of a fail-open whose caller ID is known: the status
/// route, told to report it (`POST /calls/presented`) when the call ends.
/// Twilio's status callback is where it lets the adapter say so: by then the
/// store may answer again.
pub fn report_path(caller_id: &E164) -> String {
    let encoded = percent_encoding::utf8_percent_encode(
        caller_id.as_str(),
        percent_encoding::NON_ALPHANUMERIC,
    );
    format!("/twilio/status?presented=fail_open&callerId={encoded}")
}

impl<S: DialStore + CallbackStore + EndStore + OutboxStore + 'static> TwilioAdapter<S> {
    /// The agent's dial: a bad signature is refused unless the dial is an
    /// emergency (then placed, nothing recorded); a dial the core cannot
    /// take, or that fails or runs over its budget, fails open.
    pub(crate) async fn outbound(&self, req: &Request, form: &Form) -> Response<Body> {
        let mut request = outbound_request(form, self.twilio.caller_id.as_ref());
        if let Err(e) = self.verify(req, form) {
            if emergency_digits_anywhere(&request.dialed, &self.prefix).is_some() {
                tracing::error!(reason = %e, "emergency dial with a bad Twilio signature: placed, nothing recorded (check the auth token and LIFELINE_TWILIO_PUBLIC_URL)");
                return twiml(fail_open_twiml(&request, &self.prefix, None));
            }
            return refused(req, e);
        }
        let dial = match &request.dial {
            Ok(d) => d.clone(),
            Err(reason) => {
                tracing::warn!(%reason, "Twilio dial without what Lifeline needs; failing open");
                return twiml(fail_open_twiml(&request, &self.prefix, None));
            }
        };
        // No CallerId and none configured: an emergency dial takes the
        // agent's own number from the profile (one more read, on this rare
        // path only). Without it the core still runs (a callback number is
        // a caller ID Twilio accepts), and its failure path records the call.
        let needs_own_number = request.caller_id.is_none()
            && emergency_digits_anywhere(&request.dialed, &self.prefix).is_some();
        let (answer, own_number) = self.run_dial(dial, needs_own_number).await;
        if let Some(number) = own_number {
            request.caller_id = Some(number);
        }
        match answer {
            Some(answer) => twiml(outbound_twiml(
                &answer,
                &request,
                &format!("{}/twilio/status", self.base(req)),
            )),
            None => {
                let report = request
                    .caller_id
                    .as_ref()
                    .map(|c| format!("{}{}", self.base(req), report_path(c)));
                twiml(fail_open_twiml(&request, &self.prefix, report.as_deref()))
            }
        }
    }

    /// The core's dial, on its own task (a panic below fails open too) and
    /// within its budget: the answer (none: fail open) and the agent's own
    /// number when it was looked up and found.
    async fn run_dial(
        &self,
        dial: OutboundDial,
        needs_own_number: bool,
    ) -> (Option<OutboundAnswer>, Option<E164>) {
        let own_number = Arc::new(OnceLock::<E164>::new());
        let lookup_budget = self.settings.dial_attempt();
        let service = self.dial.clone();
        let store = self.store.clone();
        let found = own_number.clone();
        let work = tokio::spawn(async move {
            let mut dial = dial;
            if needs_own_number {
                take_own_number(store.as_ref(), &mut dial, lookup_budget, &found).await;
            }
            service.dial(dial).await
        });
        let budget = ANSWER_BUDGET
            + if needs_own_number {
                lookup_budget
            } else {
                Duration::ZERO
            };
        let answer = match tokio::time::timeout(budget, work).await {
            Ok(Ok(answer)) => Some(answer),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "Twilio dial failed; failing open");
                None
            }
            Err(_) => {
                tracing::error!("Twilio dial over its budget; failing open");
                None
            }
        };
        (answer, own_number.get().cloned())
    }
}

/// The dial's `from` becomes the agent's own number (kept in `found` for
/// the answer's caller ID), when the profile gives one in time.
async fn take_own_number<S: DialStore>(
    store: &S,
    dial: &mut OutboundDial,
    budget: Duration,
    found: &OnceLock<E164>,
) {
    match own_number_of(store, dial, budget).await {
        Some(number) => {
            dial.from = number.clone();
            let _ = found.set(number);
        }
        None => {
            tracing::error!(call_id = %dial.call_id, agent_id = %dial.agent_id,
                "emergency dial with no caller ID: no CallerId, no LIFELINE_TWILIO_CALLER_ID and no agent profile; the core runs without one");
        }
    }
}

/// The agent's own number from their profile, read within `budget`; `None`
/// when there is no profile or it cannot be read in time.
async fn own_number_of<S: DialStore>(
    store: &S,
    dial: &OutboundDial,
    budget: Duration,
) -> Option<E164> {
    match tokio::time::timeout(budget, store.dial_context(&dial.call_id, &dial.agent_id)).await {
        Ok(Ok(ctx)) => ctx.agent.map(|a| a.source_number),
        Ok(Err(e)) => {
            tracing::error!(call_id = %dial.call_id, error = %e, "agent profile not read for the caller ID");
            None
        }
        Err(_) => {
            tracing::error!(call_id = %dial.call_id, "agent profile not read for the caller ID in time");
            None
        }
    }
}
