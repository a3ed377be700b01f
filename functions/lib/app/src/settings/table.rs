//! Every `LIFELINE_*` environment variable Lifeline reads, in one table:
//! each variable's name is written here once; readers refer to its entry.
//! The table drives the parsing ([`Setting`]'s methods), the configuration
//! table in docs/operations.md and the check against template.yaml (both
//! held by the tests in `settings/table_tests.rs`).
//!
//! A new setting: its entry here, the line that uses its value, and
//! template.yaml when a deployed function reads it; then
//! `BLESS_SETTINGS_DOCS=1 cargo test -p lifeline-app settings` rewrites the
//! docs table.

use super::setting::{Setting, Shape, Unset};
use super::MIN_ACTIVE_CALL_LIMIT_MINUTES;

/// Everything that reads `Settings` (through `lifeline_edge::config::Config`),
/// then `$more` readers: the list is written once.
macro_rules! config_readers {
    ($($more:literal),*) => {
        &[
            "dial-intake",
            "call-events",
            "callback-router",
            "presence-api",
            "connect-adapter",
            "twilio-adapter",
            "call-outbox",
            "presence-override",
            "platform-presence",
            "callback-lease",
            "notifier",
            "incident-log",
            "lifeline-local",
            "console",
            $($more),*
        ]
    };
}

/// Everything that reads `Settings` (through `lifeline_edge::config::Config`).
pub const CONFIG_READERS: &[&str] = config_readers!();
/// The same, and the CLI (which reads a few to match the functions).
const CONFIG_READERS_AND_CLI: &[&str] = config_readers!("lifeline");
/// The functions that place emergency dials (and hand them to the outbox).
const DIALERS: &[&str] = &[
    "dial-intake",
    "connect-adapter",
    "twilio-adapter",
    "lifeline-local",
];
const TWILIO_ADAPTER: &[&str] = &["twilio-adapter", "lifeline-local"];
const PLATFORM_PRESENCE: &[&str] = &["platform-presence", "lifeline-local"];
const CALLBACK_LEASE: &[&str] = &["callback-lease", "lifeline-local"];
const NOTIFIER_LOCAL: &[&str] = &["notifier", "lifeline-local"];
const SCHEDULING: &[&str] = &["callback-lease", "notifier", "lifeline-local"];
const STREAM_EVENTS: &[&str] = &["stream-events"];
const RUNNER: &[&str] = &["lifeline-local"];
const CONSOLE: &[&str] = &["console", "lifeline-local"];
/// The CLI and the console, which runs `lifeline doctor`'s checks and
/// `lifeline dlq`'s reads.
const CLI_AND_CONSOLE: &[&str] = &["lifeline", "console"];

const fn minutes(min: i64, max: i64) -> Shape {
    Shape::WholeNumber {
        min,
        max,
        unit: "minutes",
    }
}

/// Defines each entry as a `const` named after its variable (the name is
/// written once, here) and [`SETTINGS`], every entry in the order given.
macro_rules! settings {
    ($($name:ident { $($field:ident: $value:expr),* $(,)? })*) => {
        $(
            #[doc = concat!("`", stringify!($name), "`: its row of the settings table.")]
            pub const $name: Setting = Setting {
                name: stringify!($name),
                $($field: $value),*
            };
        )*
        /// Every setting, in the order the docs list them.
        pub const SETTINGS: &[Setting] = &[$($name),*];
    };
}

settings! {
    // The settings every function reads (`Settings`, `Config`).

    LIFELINE_TABLE {
        unset: Unset::Default("lifeline"),
        shape: Shape::Described("a DynamoDB table name (3 to 255 letters, digits, `_`, `-`, `.`)"),
        read_by: config_readers!("lifeline", "lifeline-bench"),
        about: "the shared table",
    }
    LIFELINE_WEBHOOK_SECRET {
        unset: Unset::Note("`local-secret` in the local runner only"),
        shape: Shape::Described("a long enough secret"),
        read_by: CONFIG_READERS,
        about: "HMAC secret of `X-Lifeline-Signature` itself (local and development runs; never set on AWS)",
    }
    LIFELINE_WEBHOOK_SECRET_ARN {
        unset: Unset::Required("unless `LIFELINE_WEBHOOK_SECRET` is set"),
        shape: Shape::Described("a Secrets Manager secret's ARN or name"),
        read_by: &["console", "dial-intake", "call-events", "callback-router", "presence-api", "ack", "notifier", "lifeline"],
        about: "the Secrets Manager secret holding the webhook secret (the HTTP functions; `lifeline secret`; `lifeline doctor`, which warns of a previous value still accepted a week after a rotation): read at cold start within 1.5 s and refreshed every 5 minutes. Unreadable, the function still starts: emergency dials fail open (`unauthenticated`), every other request answers 401, `WebhookSecretUnavailable` is counted, and requests retry the read (at most once per 5 s). The stream, bus, Scheduler and outbox functions need neither variable",
    }
    LIFELINE_OUTSIDE_LINE_PREFIX {
        unset: Unset::Default(""),
        shape: Shape::Described("up to three digits (`9` in the local demo)"),
        read_by: CONFIG_READERS,
        about: "outside-line prefix accepted before an emergency number",
    }
    LIFELINE_CALLBACK_WINDOW_MINUTES {
        unset: Unset::Default("60"),
        shape: minutes(60, 24 * 60),
        read_by: CONFIG_READERS_AND_CLI,
        about: "callback window after the last emergency call ends (`lifeline template`: the window the e-mail states)",
    }
    LIFELINE_QUARANTINE_MINUTES {
        unset: Unset::Default("60"),
        shape: minutes(60, 7 * 24 * 60),
        read_by: CONFIG_READERS,
        about:
            "before an expired number goes to another agent (raised to the callback window if shorter)",
    }
    LIFELINE_ACTIVE_CALL_LIMIT_MINUTES {
        unset: Unset::Default("240"),
        shape: minutes(MIN_ACTIVE_CALL_LIMIT_MINUTES, 24 * 60),
        read_by: CONFIG_READERS,
        about:
            "an emergency call with no end counts as active this long (lease hold, presence override)",
    }
    LIFELINE_LEASE_UNSUPPORTED_LOCATIONS {
        unset: Unset::Default("false"),
        shape: Shape::Described("`true` or `false`"),
        read_by: CONFIG_READERS,
        about: "whether a dial from an unsupported country gets a lease (else passed through with the reason)",
    }
    LIFELINE_CALLBACK_FALLBACK {
        unset: Unset::Default(""),
        shape: Shape::Described("comma-separated targets (`queue:supervisors, a-1`)"),
        read_by: CONFIG_READERS,
        about: "fallback targets when a lease has none from the agent profile",
    }
    LIFELINE_RECORD_RETENTION_HOURS {
        unset: Unset::Default("24"),
        shape: Shape::WholeNumber {
            min: 1,
            max: 24 * 90,
            unit: "hours",
        },
        read_by: CONFIG_READERS,
        about: "call records are deleted (TTL) this long after the call",
    }
    LIFELINE_FUNCTION_TIMEOUT_S {
        unset: Unset::Note("unset: the budget is held to 10 s only"),
        shape: Shape::WholeNumber {
            min: 1,
            max: 900,
            unit: "seconds",
        },
        read_by: CONFIG_READERS,
        about: "the function's own timeout (the template sets it beside `Timeout` on the dialing functions): a budget that leaves the function less than 1 s stops the cold start",
    }
    LIFELINE_DIAL_BUDGET_MS {
        unset: Unset::Default("2500"),
        shape: Shape::WholeNumber {
            // The least in which a lease write may start (a third of the
            // budget for one request, and 250 ms for the write).
            min: 400,
            max: 10_000,
            unit: "milliseconds",
        },
        read_by: CONFIG_READERS,
        about: "the most an emergency dial spends on AWS before answering degraded (and still recording the call, or handing it to the outbox)",
    }
    LIFELINE_POOL_LOW_WATER {
        unset: Unset::Default("2"),
        shape: Shape::Described(
            "a count up to 1000 for every country (`2`), or per country (`US=5,GB=1,*=2`)",
        ),
        read_by: CONFIG_READERS_AND_CLI,
        about:
            "below this many available numbers a country's pool is reported low (`lifeline doctor` too)",
    }
    LIFELINE_FALLBACK_RECIPIENTS {
        unset: Unset::Default(""),
        shape: Shape::Described("e-mail addresses separated by `;` (`a@x.com; b@y.com`)"),
        read_by: CONFIG_READERS,
        about: "notifier: who gets the emergency e-mail when the agent's own list cannot be used (no profile, unreadable, empty, or not returned within 60 s of the dial); empty: nobody (`security-desk@example.com` in `run.sh`)",
    }
    LIFELINE_CHAT_ALLOWED_HOSTS {
        unset: Unset::Default(""),
        shape: Shape::Described("comma-separated host names (`hooks.slack.com,chat.googleapis.com`); exact names, no wildcards"),
        read_by: CONFIG_READERS_AND_CLI,
        about: "the hosts a chat recipient's webhook may point at, checked when a list is written (`lifeline agent`) and again at each send; `https` only, plain `http` for `127.0.0.1` (local sinks); empty: no chat recipients",
    }
    LIFELINE_ACK_BASE_URL {
        unset: Unset::Default(""),
        shape: Shape::Described("a base URL: `https://<api-id>.execute-api.<region>.amazonaws.com` (`http://127.0.0.1:3000` locally)"),
        read_by: &["notifier"],
        about: "where each alert's personal acknowledgement link `<base>/ack/<token>` points (the HTTP API's URL); empty: alerts carry no link",
    }
    LIFELINE_DIAL_CACHE_SECONDS {
        unset: Unset::Default("60"),
        shape: Shape::WholeNumber {
            min: 0,
            max: 600,
            unit: "seconds",
        },
        read_by: config_readers!("lifeline-bench"),
        about: "how long a container trusts an agent's profile, the tenant's settings and its candidate numbers without reading them; an admin's change reaches every dial within it; `0`: every dial reads first",
    }
    LIFELINE_LOCATION_FRESH_HOURS {
        unset: Unset::Default("12"),
        shape: Shape::WholeNumber {
            min: 1,
            max: 168,
            unit: "hours",
        },
        read_by: CONFIG_READERS_AND_CLI,
        about: "how long an agent's registered location stands in for a dial that brings none (about a shift)",
    }
    LIFELINE_MISDIAL_SECONDS {
        unset: Unset::Default("10"),
        shape: Shape::WholeNumber {
            min: 1,
            max: 300,
            unit: "seconds",
        },
        read_by: CONFIG_READERS,
        about: "notifier: an emergency call shorter than this is flagged \"possible misdial\" in the follow-up sent when it ends",
    }

    // The settings of one function, or of the side services it calls.

    LIFELINE_OUTBOX_QUEUE_URL {
        unset: Unset::Note("the local runner creates `lifeline-outbox` on the emulator; elsewhere: none"),
        shape: Shape::Described("an SQS queue URL"),
        read_by: DIALERS,
        about: "the SQS queue a call goes to when the table cannot take its record in time; unset: such a call is only logged and counted (`UnrecordedEmergencyCalls`)",
    }
    LIFELINE_SCHEDULE_GROUP {
        unset: Unset::Default("lifeline"),
        shape: Shape::Described("1 to 64 characters"),
        read_by: &[
            "console",
            "callback-lease",
            "notifier",
            "lifeline-local",
            "lifeline",
            "lifeline-bench",
        ],
        about: "callback-lease, notifier: the group of the lease-expiry and escalation schedules (`lifeline doctor` too)",
    }
    LIFELINE_LEASE_TARGET_ARN {
        unset: Unset::Required("a dummy locally"),
        shape: Shape::Described("a Lambda function ARN"),
        read_by: CALLBACK_LEASE,
        about: "callback-lease: what the lease-expiry schedules invoke",
    }
    LIFELINE_SCHEDULER_ROLE_ARN {
        unset: Unset::Required("a dummy locally"),
        shape: Shape::Described("an IAM role ARN"),
        read_by: SCHEDULING,
        about: "callback-lease, notifier: the role the schedules assume",
    }
    LIFELINE_LEASE_DLQ_ARN {
        unset: Unset::Note("none"),
        shape: Shape::Described("an SQS queue ARN"),
        read_by: CALLBACK_LEASE,
        about: "callback-lease: the schedules' dead-letter queue",
    }
    LIFELINE_ESCALATION_TARGET_ARN {
        unset: Unset::Note("the notifier does not escalate (tier 1 only; the follow-up at the end still goes); a dummy locally"),
        shape: Shape::Described("a Lambda function ARN (the notifier's own)"),
        read_by: NOTIFIER_LOCAL,
        about: "notifier: what the escalation schedules invoke",
    }
    LIFELINE_ESCALATION_DLQ_ARN {
        unset: Unset::Note("none"),
        shape: Shape::Described("an SQS queue ARN"),
        read_by: NOTIFIER_LOCAL,
        about: "notifier: where escalation firings the scheduler could not deliver go",
    }
    LIFELINE_EVENT_BUS {
        unset: Unset::Required(""),
        shape: Shape::Described("an EventBridge bus name"),
        read_by: STREAM_EVENTS,
        about: "stream-events: the bus its events go to (the template sets `lifeline-<Stage>`)",
    }
    LIFELINE_STREAM_FAILURE_QUEUE_URL {
        unset: Unset::Required(""),
        shape: Shape::Described("an SQS queue URL"),
        read_by: STREAM_EVENTS,
        about: "stream-events: where a record it cannot decode is kept, with the record (`lifeline-<Stage>-stream-events-failures`)",
    }
    LIFELINE_NOTIFY_FROM {
        unset: Unset::Required("`lifeline@example.com` locally"),
        shape: Shape::Described("an e-mail address (an SES identity)"),
        read_by: &["console", "notifier", "lifeline-local", "lifeline"],
        about: "notifier: the SES identity e-mails are sent from (`lifeline doctor` checks it)",
    }

    // Twilio and platform presence.

    LIFELINE_TWILIO_AUTH_TOKEN {
        unset: Unset::Note("`local-twilio-token` in the local twilio-adapter; else none"),
        shape: Shape::Described("the account's auth token"),
        read_by: &["twilio-adapter", "platform-presence", "lifeline-local"],
        about: "twilio-adapter, platform-presence with `twilio`: the auth token itself (local runs; on AWS its secret's ARN)",
    }
    LIFELINE_TWILIO_AUTH_TOKEN_ARN {
        unset: Unset::Required("unless `LIFELINE_TWILIO_AUTH_TOKEN` is set; platform-presence: with `twilio`"),
        shape: Shape::Described("a Secrets Manager secret's ARN or name"),
        read_by: &["twilio-adapter", "platform-presence"],
        about: "the Secrets Manager secret holding the auth token. twilio-adapter: read within 1.5 s at cold start and refreshed every 5 minutes (until it is read, emergency dials are placed as dialed and the rest is refused, `TwilioAuthTokenUnavailable`); platform-presence: read once at cold start (at most 6 s; unreadable, the start fails and Lambda retries)",
    }
    LIFELINE_TWILIO_PUBLIC_URL {
        unset: Unset::Note("on AWS, the host and base path each request came in on (the stack's API URL); locally the runner's own URL"),
        shape: Shape::Described("an `https://` URL (locally `http://` too)"),
        read_by: TWILIO_ADAPTER,
        about: "twilio-adapter: the base URL Twilio calls (signatures cover it)",
    }
    LIFELINE_TWILIO_CALLER_ID {
        unset: Unset::Note("none"),
        shape: Shape::Described("an E.164 number"),
        read_by: TWILIO_ADAPTER,
        about: "twilio-adapter: caller ID when a dial carries no `CallerId`",
    }
    LIFELINE_TWILIO_CONTINUE_URL {
        unset: Unset::Note("none (a message, then the last resort)"),
        shape: Shape::Described("an `https://` URL (locally `http://` too)"),
        read_by: TWILIO_ADAPTER,
        about: "twilio-adapter: the tenant's handler for calls to unleased numbers",
    }
    LIFELINE_TWILIO_FLEX_WORKFLOW_SID {
        unset: Unset::Note("none"),
        shape: Shape::Described("a TaskRouter workflow SID (`WW` and 32 hex digits)"),
        read_by: TWILIO_ADAPTER,
        about: "twilio-adapter: enqueue callbacks as TaskRouter tasks (Flex)",
    }
    LIFELINE_TWILIO_RING_SECONDS {
        unset: Unset::Default("20"),
        shape: Shape::WholeNumber {
            min: 5,
            max: 600,
            unit: "seconds",
        },
        read_by: TWILIO_ADAPTER,
        about: "twilio-adapter: how long each callback target rings",
    }
    LIFELINE_TWILIO_LAST_RESORT {
        unset: Unset::Required("`+14255550110` locally"),
        shape: Shape::Described("an E.164 number or a TaskRouter workflow SID (`WW…`)"),
        read_by: &["console", "twilio-adapter", "lifeline-local", "lifeline"],
        about: "twilio-adapter: who a callback reaches when the agent and the fallbacks did not answer: a supervisor line or a Flex queue (`lifeline doctor` checks it)",
    }
    LIFELINE_PLATFORM_PRESENCE {
        unset: Unset::Required("the function is deployed only with a platform; the runner: none"),
        shape: Shape::Described("`connect` or `twilio`"),
        read_by: &["console", "platform-presence", "lifeline-local", "lifeline"],
        about: "platform-presence (and the runner, `lifeline doctor`): `connect` makes the agent's Amazon Connect status follow Lifeline's Do Not Disturb, `twilio` the agent's TaskRouter worker activity",
    }
    LIFELINE_CONNECT_INSTANCE {
        unset: Unset::Required("with `connect`"),
        shape: Shape::Described("an Amazon Connect instance id or ARN"),
        read_by: PLATFORM_PRESENCE,
        about: "platform-presence: the Connect instance",
    }
    LIFELINE_CONNECT_EMERGENCY_STATUS_ID {
        unset: Unset::Required("with `connect`"),
        shape: Shape::Described("an agent status id or ARN"),
        read_by: &["console", "platform-presence", "lifeline-local", "lifeline"],
        about: "platform-presence: the agent status an emergency call puts on (one the admin creates)",
    }
    LIFELINE_TWILIO_ACCOUNT_SID {
        unset: Unset::Required("with `twilio`"),
        shape: Shape::Described("an account SID (`AC` and 32 hex digits)"),
        read_by: PLATFORM_PRESENCE,
        about: "platform-presence: the account (Basic auth with the auth token)",
    }
    LIFELINE_TWILIO_WORKSPACE_SID {
        unset: Unset::Required("with `twilio`"),
        shape: Shape::Described("a TaskRouter workspace SID (`WS` and 32 hex digits)"),
        read_by: PLATFORM_PRESENCE,
        about: "platform-presence: the TaskRouter workspace",
    }
    LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID {
        unset: Unset::Required("with `twilio`"),
        shape: Shape::Described("a TaskRouter activity SID (`WA` and 32 hex digits)"),
        read_by: &["console", "platform-presence", "lifeline-local", "lifeline"],
        about: "platform-presence: the activity an emergency call puts on (one the admin creates, `available=false`)",
    }
    LIFELINE_TWILIO_TASKROUTER_URL {
        unset: Unset::Default("https://taskrouter.twilio.com"),
        shape: Shape::Described(
            "an `https://` URL without a path (`http://` on 127.0.0.1 or localhost: a stub)",
        ),
        read_by: PLATFORM_PRESENCE,
        about: "platform-presence with `twilio`: TaskRouter's base URL",
    }

    // The console's sign-in (a Cognito user pool).

    LIFELINE_CONSOLE_ISSUER {
        unset: Unset::Note("console: required; the runner serves no console without it (`run.sh` sets the local pool's)"),
        shape: Shape::Described("the pool's issuer, `https://cognito-idp.<region>.amazonaws.com/<pool id>`"),
        read_by: CONSOLE,
        about: "console: whose tokens it takes (their `iss`)",
    }
    LIFELINE_CONSOLE_CLIENT_ID {
        unset: Unset::Note("console: required"),
        shape: Shape::Described("the pool's app client id"),
        read_by: CONSOLE,
        about: "console: the app client it signs users in with (USER_PASSWORD_AUTH), whose tokens alone it takes",
    }
    LIFELINE_CONSOLE_JWKS_URL {
        unset: Unset::Default(""),
        shape: Shape::Described("a URL"),
        read_by: CONSOLE,
        about: "console: where the pool's signing keys are read at cold start; empty: `<issuer>/.well-known/jwks.json` (moto serves them at `<endpoint>/<pool id>/.well-known/jwks.json`)",
    }

    // The CLI's and the local runner's own.

    LIFELINE_STAGE {
        unset: Unset::Note("`local` in the runner; `prod` in `lifeline dlq`"),
        shape: Shape::Described("a stage name"),
        read_by: &["console", "lifeline-local", "lifeline"],
        about: "the runner: its failure queues are `lifeline-<stage>-<function>-failures` on moto's SQS; `lifeline dlq`: the stage whose `…-failures` and `…-dlq` queues it reads, and whose own functions (`lifeline-<stage>-<function>`) a replay invokes",
    }
    LIFELINE_STREAM_FAILURE_BUCKET {
        unset: Unset::Note("unset: no bucket is read"),
        shape: Shape::Described("an S3 bucket name"),
        read_by: CLI_AND_CONSOLE,
        about: "`lifeline dlq`: the stream's failure bucket to read too (the stack's `StreamFailureBucketName`)",
    }
    LIFELINE_CALL_PATH_RESERVED_CONCURRENCY {
        unset: Unset::Default("500"),
        shape: Shape::WholeNumber {
            min: 0,
            max: 3000,
            unit: "executions",
        },
        read_by: CLI_AND_CONSOLE,
        about: "`lifeline doctor`: the stack's `CallPathReservedConcurrency` (its default unset), which it warns of when below the number of agents",
    }
    LIFELINE_VOICE_PLATFORM {
        unset: Unset::Default("webhook"),
        shape: Shape::Described("`webhook`, `connect` or `twilio`"),
        read_by: CLI_AND_CONSOLE,
        about: "`lifeline doctor`: the voice platform in front of Lifeline, whose own prerequisites it adds",
    }
    LIFELINE_LISTEN {
        unset: Unset::Default("127.0.0.1:3000"),
        shape: Shape::Described("a loopback address and port"),
        read_by: RUNNER,
        about: "local runner only: where it listens",
    }
    LIFELINE_LOCAL_ASYNC_RETRY_DELAYS_MS {
        unset: Unset::Default("2000,4000"),
        shape: Shape::Described("comma-separated milliseconds"),
        read_by: RUNNER,
        about: "local runner only: the waits before Lambda's retries of a failed asynchronous invocation (Lambda's own are about one and two minutes; the count is the template's)",
    }
}
