//! The adapter itself: its services, the signature check every route makes,
//! and the dispatch of a request to its route (`outbound`, `inbound`,
//! `status`, each in its own module).

use lambda_http::{Body, Request, Response};
use lifeline_app::clock::Clock;
use lifeline_app::ports::{CallOutbox, CallbackStore, DialStore, EndStore, OutboxStore};
use lifeline_app::service::callback::CallbackService;
use lifeline_app::service::dial::DialService;
use lifeline_app::service::ended::EndService;
use lifeline_app::settings::Settings;
use lifeline_domain::numbers::{emergency_digits_anywhere, OutsideLinePrefix};
use lifeline_edge::config::Config;
use lifeline_edge::http::{body_bytes, problem, signed_path, WebhookHandler};
use lifeline_edge::webhook::Problem;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{PublicUrl, TwilioConfig};
use crate::twilio::{self, Form, TwilioSignatureError};

/// Twilio waits 15 s for TwiML; Lifeline answers well inside (the dial's own
/// budget is 2.5 s by default; this bounds everything else).
pub const ANSWER_BUDGET: Duration = Duration::from_secs(3);

pub struct TwilioAdapter<S> {
    pub(crate) dial: DialService<S>,
    pub(crate) callback: CallbackService<S>,
    pub(crate) end: EndService<S>,
    pub(crate) store: Arc<S>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) prefix: OutsideLinePrefix,
    pub(crate) twilio: TwilioConfig,
}

impl<S: DialStore + CallbackStore + EndStore + OutboxStore + 'static> TwilioAdapter<S> {
    pub fn new(
        store: Arc<S>,
        clock: Arc<dyn Clock>,
        config: Arc<Config>,
        twilio: TwilioConfig,
    ) -> Self {
        TwilioAdapter {
            prefix: config.settings.outside_line_prefix.clone(),
            dial: DialService::new(store.clone(), clock.clone(), config.settings.clone()),
            callback: CallbackService::new(store.clone(), clock.clone(), config.settings.clone()),
            end: EndService::new(store.clone(), clock.clone(), config.settings.clone()),
            store,
            clock,
            settings: config.settings.clone(),
            twilio,
        }
    }

    /// Hands emergency calls the table cannot take in time to `outbox`.
    pub fn with_outbox(mut self, outbox: Arc<dyn CallOutbox>) -> Self {
        self.dial = self.dial.with_outbox(outbox);
        self
    }

    /// The base URL Twilio addressed this request to, under which the
    /// answer's own URLs go: the configured one, or the host and base path
    /// API Gateway received the request on.
    pub(crate) fn base(&self, req: &Request) -> String {
        match &self.twilio.public_url {
            PublicUrl::Fixed(base) => base.clone(),
            PublicUrl::FromRequest => request_base(req),
        }
    }

    /// The full URL Twilio requested, as it signed it.
    fn signed_url(&self, req: &Request) -> String {
        let path = signed_path(req);
        match req.uri().query() {
            Some(q) if !q.is_empty() => format!("{}{path}?{q}", self.base(req)),
            _ => format!("{}{path}", self.base(req)),
        }
    }

    /// Checks the request's `X-Twilio-Signature` over its URL and form.
    pub(crate) fn verify(&self, req: &Request, form: &Form) -> Result<(), TwilioSignatureError> {
        let header = req
            .headers()
            .get(twilio::SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok());
        twilio::verify(&self.twilio.auth_token, &self.signed_url(req), form, header)
    }

    /// A body that is no form: even so, a dial of an emergency number is
    /// placed (unrecorded); anything else is the form's problem.
    fn unreadable(&self, req: &Request, p: &Problem) -> Response<Body> {
        if req.uri().path().ends_with("/twilio/outbound") {
            let lossy = String::from_utf8_lossy(body_bytes(req)).to_string();
            if let Some(number) = lossy
                .split('&')
                .find_map(|kv| kv.strip_prefix("To="))
                .and_then(|to| emergency_digits_anywhere(to, &self.prefix))
            {
                tracing::error!("unreadable Twilio dial of an emergency number: placed");
                return twiml(twilio::dial_number(number, None, None, true));
            }
        }
        problem(p)
    }
}

#[async_trait::async_trait]
impl<S: DialStore + CallbackStore + EndStore + OutboxStore + 'static> WebhookHandler
    for TwilioAdapter<S>
{
    async fn handle(&self, req: Request) -> Response<Body> {
        if req.method() != lambda_http::http::Method::POST {
            return problem(&Problem::new(
                405,
                "method-not-allowed",
                "Method not allowed",
                "use POST",
            ));
        }
        let form = match Form::parse(body_bytes(&req)) {
            Ok(f) => f,
            Err(p) => return self.unreadable(&req, &p),
        };
        match req.uri().path() {
            p if p.ends_with("/twilio/outbound") => self.outbound(&req, &form).await,
            p if p.ends_with("/twilio/inbound") => self.inbound(&req, &form).await,
            p if p.ends_with("/twilio/status") => self.status(&req, &form).await,
            p => problem(&Problem::new(
                404,
                "not-found",
                "Not found",
                format!("no route {p}"),
            )),
        }
    }
}

/// A TwiML answer (200, `text/xml`).
pub(crate) fn twiml(document: String) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", twilio::CONTENT_TYPE)
        .body(Body::Text(document))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

/// A refused request (401, problem+json), logged with its path.
pub(crate) fn refused(req: &Request, e: TwilioSignatureError) -> Response<Body> {
    tracing::warn!(reason = %e, path = %req.uri().path(), "Twilio webhook refused: bad signature");
    problem(&Problem::unauthorized(e))
}

/// `https://<domainName><base path>`: where API Gateway received `req` —
/// its raw path less the route's own path (a named stage, a custom domain's
/// base path).
fn request_base(req: &Request) -> String {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let domain = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.domain_name.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let raw = match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    };
    let prefix = raw.strip_suffix(signed_path(req)).unwrap_or_default();
    format!("https://{domain}{prefix}")
}
