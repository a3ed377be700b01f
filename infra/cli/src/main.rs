//! `lifeline`: the admin CLI. Same AWS configuration as the functions
//! (`AWS_ENDPOINT_URL*`, `AWS_REGION`, `LIFELINE_TABLE`).

use clap::{Args, Parser, Subcommand};
use lifeline_app::ports::{AdminStore, LocationError, LocationStore};
use lifeline_app::service::location::{LocationService, RegisteredView};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::location::{Location, LocationInput, LocationQuality};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::{NumberType, TenantSettings};
use lifeline_domain::types::{AgentId, Email, Recipients, E164};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lifeline",
    version,
    about = "Administer Lifeline: agents, callback-number pools, tenant settings, dead letters"
)]
struct Cli {
    /// DynamoDB table.
    #[arg(
        long,
        env = "LIFELINE_TABLE",
        default_value = "lifeline",
        global = true
    )]
    table: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The shared table.
    #[command(subcommand)]
    Table(TableCmd),
    /// Agents: profile, source number, notification recipients.
    #[command(subcommand)]
    Agent(AgentCmd),
    /// Callback-number pools, one per country.
    #[command(subcommand)]
    Pool(PoolCmd),
    /// Tenant settings that decide the emergency route.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// The EmergencyCallNotification e-mail template.
    #[command(subcommand)]
    Template(TemplateCmd),
    /// The webhook secret in Secrets Manager: rotation with no refused window.
    #[command(subcommand)]
    Secret(SecretCmd),
    /// Check that emergency calling will work, before an agent needs it.
    /// Exit 0: all good; 1: warnings only; 2: an error.
    Doctor(DoctorArgs),
    /// Dead letters: failed side effects, and their replay.
    ///
    /// What failed in the asynchronous side effects (e-mail, presence, lease
    /// expiry, the outbox, the stream), and its replay through the same
    /// function once the cause is fixed.
    #[command(subcommand)]
    Dlq(DlqCmd),
}

/// Where dead letters are kept.
#[derive(Args)]
struct DlqPlaces {
    /// The deployment stage: its SQS queues named `lifeline-<stage>-…-failures`
    /// and `…-dlq` are read (`local` for the local setup).
    #[arg(long, env = "LIFELINE_STAGE", default_value = "prod")]
    stage: String,
    /// The S3 bucket where the stream's event source mapping keeps the
    /// batches it gave up on (unset: no bucket is read).
    #[arg(long, env = "LIFELINE_STREAM_FAILURE_BUCKET")]
    failure_bucket: Option<String>,
}

#[derive(Subcommand)]
enum DlqCmd {
    /// List every dead letter, one line each.
    ///
    /// Per dead letter: id, queue or bucket, when, kind, function or target,
    /// what it concerns (call, lease, agent, item key), why. Looking does not
    /// hide messages from their other readers. Phone numbers are shown by
    /// their last 4 digits only.
    List {
        #[command(flatten)]
        places: DlqPlaces,
        /// Only this queue (or bucket).
        #[arg(long)]
        queue: Option<String>,
        /// A JSON array instead of lines: per dead letter id, shortId,
        /// source, sourceType (queue|bucket), kind, at, target, reason,
        /// subject, replayable, replay.
        #[arg(long)]
        json: bool,
    },
    /// Everything about one dead letter.
    ///
    /// Its attributes and payload, pretty-printed. Phone numbers, addresses,
    /// coordinates and e-mail addresses are masked unless --raw.
    Show {
        /// The dead letter: its id (SQS MessageId or S3 key), the short id
        /// `list` shows, or a unique beginning of its id.
        id: String,
        #[command(flatten)]
        places: DlqPlaces,
        /// Only look in this queue (or bucket).
        #[arg(long)]
        queue: Option<String>,
        /// Show the payload as stored, personal data included.
        #[arg(long)]
        raw: bool,
    },
    /// Replay dead letters, deleting each one that goes through.
    ///
    /// Each goes through the function that failed on it (a synchronous
    /// invoke; the outbox's go back to the outbox) and is deleted once it
    /// went through; one that fails again is kept and the reason said. Safe
    /// to repeat: every Lifeline handler is idempotent. Prints `replayed N,
    /// failed again M`; exits 1 unless all went through.
    Replay {
        /// The dead letters to replay (ids as `show` takes them).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every replayable dead letter (unknown shapes are left, and said).
        #[arg(long)]
        all: bool,
        /// Only dead letters of this queue (or bucket).
        #[arg(long)]
        queue: Option<String>,
        #[command(flatten)]
        places: DlqPlaces,
    },
}

#[derive(Subcommand)]
enum SecretCmd {
    /// Puts a new random value as the secret's current version; the old one
    /// stays accepted as the previous version. Prints the new value (give it
    /// to the voice platform; see README "Security" for the sequence).
    Rotate {
        /// The secret's ARN or name (the stack's `WebhookSecretArn` output).
        #[arg(long, env = "LIFELINE_WEBHOOK_SECRET_ARN")]
        secret_id: String,
    },
    /// Ends the previous value's acceptance (once the platform signs with
    /// the new one only): the functions refuse it after their next refresh.
    RetirePrevious {
        #[arg(long, env = "LIFELINE_WEBHOOK_SECRET_ARN")]
        secret_id: String,
    },
}

#[derive(Args)]
struct DoctorArgs {
    /// Only this agent (the deployment is always checked).
    #[arg(long)]
    agent: Option<String>,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// The SES identity notifications are sent from.
    #[arg(
        long,
        env = "LIFELINE_NOTIFY_FROM",
        default_value = "lifeline@example.com"
    )]
    notify_from: String,
    /// The lease-expiry schedule group.
    #[arg(long, env = "LIFELINE_SCHEDULE_GROUP", default_value = "lifeline")]
    schedule_group: String,
    /// Low-water mark of free callback numbers ("2" or "US=5,*=2").
    #[arg(long, env = "LIFELINE_POOL_LOW_WATER", default_value = "2")]
    low_water: String,
    /// The voice platform in front of Lifeline (webhook, connect, twilio):
    /// adds its own prerequisites (Twilio: emergency addresses).
    #[arg(long, env = "LIFELINE_VOICE_PLATFORM", default_value = "webhook")]
    platform: String,
}

#[derive(Subcommand)]
enum TemplateCmd {
    /// Validate an edited template (by rendering sample data) and save it as
    /// the next version, in force at once. Nothing is saved if it fails.
    Push {
        /// Folder holding subject.txt, body.html and body.txt.
        #[arg(long, default_value = "infra/templates/emergency-call-notification")]
        dir: std::path::PathBuf,
    },
    /// Print the template in force (stored, or the built-in default).
    Show,
    /// Render the template in force for an agent, with sample call data.
    Preview {
        /// The agent whose profile fills the e-mail.
        #[arg(long)]
        agent: String,
        /// Render as a 933 test call.
        #[arg(long)]
        test: bool,
        /// The callback window the e-mail states, as the notifier is
        /// configured (minutes after the call ends).
        #[arg(long, env = "LIFELINE_CALLBACK_WINDOW_MINUTES", default_value_t = 60,
              value_parser = clap::value_parser!(i64).range(60..=1440))]
        window_minutes: i64,
    },
}

#[derive(Subcommand)]
enum TableCmd {
    /// Create the table (keys, index, stream, TTL) if it does not exist — for local and test setups;
    /// on AWS the SAM template creates it.
    Create,
}

#[derive(Subcommand)]
enum AgentCmd {
    /// Create or replace an agent's profile.
    Put(Box<AgentPut>),
    /// Print an agent's profile as JSON.
    Show {
        /// Agent id, e.g. a-42.
        id: String,
    },
    /// The agent's notification recipients.
    #[command(subcommand)]
    Recipients(RecipientsCmd),
    /// The agent's registered location: where they are, for the emergency
    /// dials that bring no location of their own.
    #[command(subcommand)]
    Location(LocationCmd),
}

#[derive(Subcommand)]
enum LocationCmd {
    /// Register where the agent is now, as the desktop does.
    ///
    /// The same registration as PUT /agents/{id}/location: dials that bring
    /// no location of their own use it while it is fresh
    /// (LIFELINE_LOCATION_FRESH_HOURS, default 12). Give it with --json or
    /// with the flags. Prints the registration as JSON. Exit 2 for a bad
    /// field or an unknown agent.
    Set(Box<LocationSet>),
    /// Print the agent's registered location as JSON.
    ///
    /// `fresh` says whether a dial that brings no location would use it now.
    /// Exit 1 when there is none, 2 for an unknown agent.
    Show {
        /// Agent id, e.g. a-42.
        id: String,
    },
}

/// The flags a location can be given with, as `--json` would name its fields.
const LOCATION_FLAGS: [&str; 7] = [
    "country", "address", "civic", "lat", "lon", "radius_m", "method",
];

#[derive(Args)]
struct LocationSet {
    /// Agent id, e.g. a-42.
    id: String,
    /// The whole location as JSON, as the desktop sends it:
    /// '{"country":"US","civic":{"A1":"WA","A3":"Redmond","RD":"Main St","HNO":"1"},"method":"Manual"}'
    /// (fields: country, address, civic, lat, lon, radiusM, method, determinedAt).
    #[arg(long, value_name = "OBJECT", conflicts_with_all = LOCATION_FLAGS)]
    json: Option<String>,
    /// Country (ISO 3166 alpha-2).
    #[arg(long)]
    country: Option<String>,
    /// Free-text address.
    #[arg(long)]
    address: Option<String>,
    /// A civic address element (RFC 5139), repeatable: --civic RD="Main St"
    /// --civic HNO=1 --civic A3=Redmond --civic A1=WA (street, house number,
    /// city and state or postcode make it dispatchable).
    #[arg(long, value_name = "KEY=VALUE")]
    civic: Vec<String>,
    /// Latitude, WGS 84 degrees.
    #[arg(long, allow_negative_numbers = true)]
    lat: Option<f64>,
    /// Longitude, WGS 84 degrees.
    #[arg(long, allow_negative_numbers = true)]
    lon: Option<f64>,
    /// Uncertainty radius of the coordinates, in metres.
    #[arg(long)]
    radius_m: Option<f64>,
    /// How it was determined: Manual, GPS, Wifi, Cell, DHCP, Derived.
    #[arg(long)]
    method: Option<String>,
}

#[derive(Subcommand)]
enum RecipientsCmd {
    /// Replace the recipients: one semicolon-separated string,
    /// e.g. "sup@example.com; security@example.com" ("" for none).
    Set {
        /// Agent id, e.g. a-42.
        id: String,
        /// The recipients.
        recipients: String,
    },
}

#[derive(Args)]
struct AgentPut {
    /// Agent id, as the voice platform names the agent.
    #[arg(long)]
    id: String,
    /// Display name, used in notifications.
    #[arg(long)]
    name: String,
    /// The agent's own e-mail address.
    #[arg(long)]
    email: Option<String>,
    /// Home country (ISO code): used when a call carries no location.
    #[arg(long)]
    country: Option<String>,
    /// The voice platform's outbound voice profile for emergency calls.
    #[arg(long)]
    outbound_profile: Option<String>,
    /// The agent's Amazon Connect user id (platform presence on Connect).
    #[arg(long)]
    connect_user_id: Option<String>,
    /// The agent's Twilio TaskRouter worker SID, WK… (platform presence on Twilio).
    #[arg(long)]
    twilio_worker_sid: Option<String>,
    /// The agent's own number, E.164 (+14255550100).
    #[arg(long)]
    source_number: String,
    /// calling_plan or direct_routing.
    #[arg(long)]
    number_type: String,
    /// Who is e-mailed on an emergency call: "a@x.com; b@y.com".
    #[arg(long, default_value = "")]
    recipients: String,
    /// Targets to try when the agent misses a callback (repeatable).
    #[arg(long)]
    fallback: Vec<String>,
}

#[derive(Subcommand)]
enum PoolCmd {
    /// Add callback numbers to a country's pool, available at once. A number
    /// already in the table (free, leased or in quarantine) is left exactly
    /// as it is and reported as already present.
    Add {
        /// Pool country (US, CA, PR, GB, DK).
        #[arg(long)]
        country: String,
        /// Numbers in E.164 form.
        #[arg(required = true)]
        numbers: Vec<String>,
    },
    /// Remove numbers from their pool: refused while a number is leased, and
    /// after its lease while it is in quarantine (a late emergency callback
    /// may still come for its previous holder); the refusal names the time
    /// it becomes possible. Exit 2 if any was refused.
    Remove {
        /// Numbers in E.164 form.
        #[arg(required = true)]
        numbers: Vec<String>,
    },
    /// List pool numbers and their state (free, leased to whom until when,
    /// quarantined until when), as JSON.
    List {
        /// Only this country's pool.
        #[arg(long)]
        country: Option<String>,
    },
}

#[derive(Subcommand)]
enum TenantCmd {
    /// Set the route prerequisites of the voice-platform tenant.
    Set {
        /// A direct-routing voice route exists for emergency numbers.
        #[arg(long, action = clap::ArgAction::Set)]
        direct_routing_emergency_rule: bool,
        /// The tenant has at least one calling-plan number.
        #[arg(long, action = clap::ArgAction::Set)]
        calling_plan_numbers: bool,
    },
    /// Print the tenant settings as JSON.
    Show,
}

/// A user mistake (exit 2) or a failure to reach the store (exit 1).
enum Failure {
    Usage(String),
    Store(String),
    /// Not a failure of the command: the exit code it reports (doctor).
    Exit(u8),
}

/// Numbers as given on the command line; the first malformed one is named.
fn parse_numbers(numbers: &[String]) -> Result<Vec<E164>, Failure> {
    numbers
        .iter()
        .map(|n| {
            n.parse::<E164>()
                .map_err(|e| Failure::Usage(format!("`{n}`: {e}")))
        })
        .collect()
}

fn usage<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> Failure + '_ {
    move |e| Failure::Usage(format!("{what}: {e}"))
}

fn store_err(e: lifeline_app::ports::StoreError) -> Failure {
    Failure::Store(e.to_string())
}

fn location_err(e: LocationError) -> Failure {
    match e {
        LocationError::UnknownAgent(id) => Failure::Usage(format!("no agent `{id}`")),
        LocationError::Store(e) => store_err(e),
    }
}

/// The fields `--json` takes (a location's wire names).
const LOCATION_FIELDS: [&str; 8] = [
    "country",
    "address",
    "civic",
    "lat",
    "lon",
    "radiusM",
    "method",
    "determinedAt",
];

/// The location `--json` gives: an object of the wire's fields, each of its
/// type; the first that is not is named.
fn location_json(json: &str) -> Result<LocationInput, Failure> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| Failure::Usage(format!("--json: not JSON: {e}")))?;
    let serde_json::Value::Object(fields) = &value else {
        return Err(Failure::Usage("--json: must be a JSON object".into()));
    };
    for (name, v) in fields {
        if !LOCATION_FIELDS.contains(&name.as_str()) {
            return Err(Failure::Usage(format!(
                "--json: unknown field `{name}` (a location has {})",
                LOCATION_FIELDS.join(", ")
            )));
        }
        let one = serde_json::json!({ name: v });
        serde_json::from_value::<LocationInput>(one)
            .map_err(|e| Failure::Usage(format!("--json: `location.{name}`: {e}")))?;
    }
    serde_json::from_value(value).map_err(|e| Failure::Usage(format!("--json: {e}")))
}

/// The flag a location field is given with.
fn location_flag(field: &str) -> String {
    match field.split_once('.') {
        Some(("civic", key)) => format!("--civic {key}"),
        _ => match field {
            "radiusM" => "--radius-m".into(),
            "determinedAt" => "--json's determinedAt".into(),
            other => format!("--{other}"),
        },
    }
}

/// The location `set` was given (`--json` or the flags), checked as the
/// HTTP route checks it: the first bad field is named.
fn parse_location(s: &LocationSet) -> Result<Location, Failure> {
    let (input, from_json) = match &s.json {
        Some(json) => (location_json(json)?, true),
        None => {
            let mut civic = std::collections::BTreeMap::new();
            for pair in &s.civic {
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| Failure::Usage(format!("--civic: `{pair}` is not KEY=VALUE")))?;
                let key = key.trim().to_ascii_uppercase();
                if civic.insert(key.clone(), value.to_string()).is_some() {
                    return Err(Failure::Usage(format!("--civic: {key} given twice")));
                }
            }
            let input = LocationInput {
                country: s.country.clone(),
                address: s.address.clone(),
                civic: (!civic.is_empty()).then_some(civic),
                lat: s.lat,
                lon: s.lon,
                radius_m: s.radius_m,
                method: s.method.clone(),
                determined_at: None,
            };
            (input, false)
        }
    };
    let location = input.validate().map_err(|e| {
        Failure::Usage(if from_json {
            format!("--json: {e}")
        } else {
            format!(
                "{}: {}",
                location_flag(&e.field),
                e.detail.replace("`lat` and `lon`", "--lat and --lon")
            )
        })
    })?;
    location.ok_or_else(|| {
        Failure::Usage(
            "nothing to register: give --json, or --country, --address, --civic KEY=VALUE, --lat and --lon"
                .into(),
        )
    })
}

/// `agent location set`: registers the location through the service the
/// HTTP route uses (same TTL, same profile check).
async fn location_set<S: LocationStore>(
    service: &LocationService<S>,
    s: &LocationSet,
) -> Result<RegisteredView, Failure> {
    // Everything is validated before anything is written.
    let id: AgentId = s.id.parse().map_err(usage("agent id"))?;
    let location = parse_location(s)?;
    service.register(&id, location).await.map_err(location_err)
}

/// `agent location show`: the registration, `None` when there is none.
async fn location_show<S: LocationStore>(
    service: &LocationService<S>,
    id: &str,
) -> Result<Option<RegisteredView>, Failure> {
    let id: AgentId = id.parse().map_err(usage("agent id"))?;
    service.show(&id).await.map_err(location_err)
}

/// What an admin is told about a registration beside its JSON.
fn location_notes(v: &RegisteredView, fresh_for: chrono::Duration) -> Vec<String> {
    let mut notes = Vec::new();
    if !v.fresh {
        notes.push(format!(
            "registered at {}, past the freshness limit of {} ({}): dials do not use it",
            v.registered_at,
            lifeline_cli::doctor::span(fresh_for),
            lifeline_cli::LOCATION_FRESH_VAR
        ));
    }
    if v.location_quality != Some(LocationQuality::Dispatchable) {
        notes.push(format!(
            "this location is {}: not enough to reach the door (a street, house number, city, and state or postcode make it dispatchable)",
            v.location_quality.map_or("empty", LocationQuality::as_str)
        ));
    }
    notes
}

fn print_registered(v: &RegisteredView, fresh_for: chrono::Duration) {
    print_json(&serde_json::to_value(v).unwrap_or_default());
    for note in location_notes(v, fresh_for) {
        eprintln!("warning: {note}");
    }
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn agent_json(a: &AgentProfile) -> serde_json::Value {
    serde_json::json!({
        "id": a.id, "name": a.name, "email": a.email,
        "country": a.country.map(|c| c.code().to_string()).or_else(|| a.other_country.clone()),
        "outboundProfile": a.outbound_profile,
        "connectUserId": a.platform.connect_user_id,
        "twilioWorkerSid": a.platform.twilio_worker_sid,
        "sourceNumber": a.source_number, "numberType": a.number_type.as_str(),
        "recipients": a.recipients.joined(), "fallback": a.fallback,
    })
}

/// An optional platform identity: trimmed, 1 to 200 characters, of the
/// platform's shape.
fn platform_id(
    flag: &str,
    value: Option<String>,
    shape: impl Fn(&str) -> bool,
) -> Result<Option<String>, Failure> {
    match value.map(|v| v.trim().to_string()) {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.len() <= 200 && shape(&v) => Ok(Some(v)),
        Some(v) => Err(Failure::Usage(format!("{flag}: `{v}` is not one"))),
    }
}

fn parse_agent(p: AgentPut) -> Result<AgentProfile, Failure> {
    // An unsupported home country is kept as given (the readiness check names
    // it; dials are never blocked for it); a malformed one is refused.
    let (country, other_country) = match p.country.as_deref().map(str::trim) {
        None => (None, None),
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            match c.parse::<Country>() {
                Ok(supported) => (Some(supported), None),
                Err(_) => (None, Some(c.to_ascii_uppercase())),
            }
        }
        Some(c) => {
            return Err(Failure::Usage(format!(
                "--country: `{c}` is not an ISO 3166 alpha-2 code"
            )))
        }
    };
    Ok(AgentProfile {
        id: p.id.parse().map_err(usage("--id"))?,
        name: {
            let n = p.name.trim().to_string();
            if n.is_empty() || n.len() > 200 {
                return Err(Failure::Usage("--name: must be 1 to 200 characters".into()));
            }
            n
        },
        email: p
            .email
            .map(|e| e.parse::<Email>())
            .transpose()
            .map_err(usage("--email"))?,
        country,
        other_country,
        outbound_profile: match p.outbound_profile.map(|o| o.trim().to_string()) {
            Some(o) if o.is_empty() || o.len() > 200 => {
                return Err(Failure::Usage(
                    "--outbound-profile: must be 1 to 200 characters".into(),
                ))
            }
            other => other,
        },
        platform: lifeline_domain::platform::PlatformIds {
            connect_user_id: platform_id("--connect-user-id", p.connect_user_id, |c| {
                c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-:/_".contains(&b))
            })?,
            twilio_worker_sid: platform_id("--twilio-worker-sid", p.twilio_worker_sid, |w| {
                w.starts_with("WK")
                    && w.len() == 34
                    && w[2..].bytes().all(|b| b.is_ascii_hexdigit())
            })?,
        },
        source_number: p.source_number.parse().map_err(usage("--source-number"))?,
        number_type: p
            .number_type
            .parse::<NumberType>()
            .map_err(usage("--number-type"))?,
        recipients: Recipients::parse(&p.recipients).map_err(usage("--recipients"))?,
        fallback: p.fallback,
    })
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let conf = load_aws_config(ClientProfile::Admin).await;
    let store = DynamoStore::from_conf(&conf, &cli.table);
    let now = chrono::Utc::now();
    match cli.command {
        Command::Table(TableCmd::Create) => {
            let created = store.create_table().await.map_err(store_err)?;
            eprintln!(
                "table {} {}",
                cli.table,
                if created { "created" } else { "already exists" }
            );
        }
        Command::Agent(AgentCmd::Put(p)) => {
            // Everything is validated before anything is written.
            let agent = parse_agent(*p)?;
            store.put_agent(&agent).await.map_err(store_err)?;
            if agent.recipients.is_empty() {
                eprintln!("warning: agent {} has no recipients: no e-mail will be sent for their emergency calls", agent.id);
            }
            print_json(&agent_json(&agent));
        }
        Command::Agent(AgentCmd::Show { id }) => {
            let id: AgentId = id.parse().map_err(usage("agent id"))?;
            match store.get_agent(&id).await.map_err(store_err)? {
                Some(a) => print_json(&agent_json(&a)),
                None => return Err(Failure::Usage(format!("no agent `{id}`"))),
            }
        }
        Command::Agent(AgentCmd::Recipients(RecipientsCmd::Set { id, recipients })) => {
            let id: AgentId = id.parse().map_err(usage("agent id"))?;
            // Validated before anything is read or written.
            let recipients = Recipients::parse(&recipients).map_err(usage("recipients"))?;
            let mut agent = store
                .get_agent(&id)
                .await
                .map_err(store_err)?
                .ok_or_else(|| Failure::Usage(format!("no agent `{id}`")))?;
            agent.recipients = recipients;
            store.put_agent(&agent).await.map_err(store_err)?;
            if agent.recipients.is_empty() {
                eprintln!("warning: agent {id} has no recipients: no e-mail will be sent for their emergency calls");
            }
            print_json(&agent_json(&agent));
        }
        Command::Agent(AgentCmd::Location(cmd)) => {
            // As the functions read it: `fresh` and the TTL are theirs.
            let fresh_for = lifeline_cli::location_fresh_for().map_err(Failure::Usage)?;
            let service = LocationService::new(
                std::sync::Arc::new(store.clone()),
                std::sync::Arc::new(lifeline_app::clock::SystemClock),
                fresh_for,
            );
            match cmd {
                LocationCmd::Set(s) => {
                    print_registered(&location_set(&service, &s).await?, fresh_for)
                }
                LocationCmd::Show { id } => match location_show(&service, &id).await? {
                    Some(v) => print_registered(&v, fresh_for),
                    None => {
                        eprintln!(
                            "no registered location for agent `{id}`: register one with \
                             `lifeline agent location set {id} …` or from the desktop \
                             (PUT /agents/{id}/location)"
                        );
                        return Err(Failure::Exit(1));
                    }
                },
            }
        }
        Command::Template(cmd) => template(cmd, &store, now).await?,
        Command::Secret(cmd) => {
            let client = aws_sdk_secretsmanager::Client::new(&conf);
            let failed = |e: lifeline_aws::secrets::SecretError| Failure::Store(e.to_string());
            match cmd {
                SecretCmd::Rotate { secret_id } => {
                    let value = lifeline_cli::new_webhook_secret();
                    lifeline_aws::secrets::rotate(&client, &secret_id, &value)
                        .await
                        .map_err(failed)?;
                    println!("{value}");
                    eprintln!(
                        "rotated: the functions accept the new and the previous secret within 5 minutes \
                         (their refresh); sign with both (two v2= values) or wait that long before the \
                         platform switches, then run `lifeline secret retire-previous`"
                    );
                }
                SecretCmd::RetirePrevious { secret_id } => {
                    let retired = lifeline_aws::secrets::retire_previous(&client, &secret_id)
                        .await
                        .map_err(failed)?;
                    eprintln!(
                        "{}",
                        if retired {
                            "previous secret retired: refused after the functions' next refresh (within 5 minutes)"
                        } else {
                            "no previous secret to retire"
                        }
                    );
                }
            }
        }
        Command::Doctor(args) => {
            let low_water = lifeline_app::settings::LowWater::parse(&args.low_water)
                .map_err(|e| Failure::Usage(format!("--low-water: {e}")))?;
            let agent = args
                .agent
                .map(|a| a.parse::<AgentId>())
                .transpose()
                .map_err(usage("--agent"))?;
            let platform = args
                .platform
                .parse()
                .map_err(|e: String| Failure::Usage(format!("--platform: {e}")))?;
            // Read again by `gather`; a bad value is the admin's to fix (exit 2).
            lifeline_cli::location_fresh_for().map_err(Failure::Usage)?;
            let targets = lifeline_cli::doctor::Targets {
                from: args.notify_from,
                group: args.schedule_group,
                low_water,
                platform,
            };
            let ses = aws_sdk_sesv2::Client::new(&conf);
            let scheduler = aws_sdk_scheduler::Client::new(&conf);
            let lookups = lifeline_cli::doctor::gather(
                &store,
                &ses,
                &scheduler,
                &targets,
                agent.as_ref(),
                now,
            )
            .await
            .map_err(Failure::Store)?;
            let report = lifeline_cli::doctor::report(&lookups, &targets.low_water, now);
            if args.json {
                print_json(&serde_json::json!({
                    "checkedAt": report.checked_at,
                    "exitCode": report.exit_code(),
                    "findings": report.findings,
                }));
            } else {
                print!("{}", report.to_text());
            }
            return Err(Failure::Exit(report.exit_code()));
        }
        Command::Dlq(cmd) => {
            dlq(cmd, &lifeline_aws::dlq::DeadLetterClients::from_conf(&conf)).await?
        }
        Command::Pool(PoolCmd::Add { country, numbers }) => {
            let country: Country = country.parse().map_err(usage("--country"))?;
            let numbers = parse_numbers(&numbers)?;
            pool_add(&store, country, &numbers, now, &mut std::io::stderr()).await?;
        }
        Command::Pool(PoolCmd::Remove { numbers }) => {
            let numbers = parse_numbers(&numbers)?;
            pool_remove(&store, &numbers, now, &mut std::io::stderr()).await?;
        }
        Command::Pool(PoolCmd::List { country }) => {
            let country = country
                .map(|c| c.parse::<Country>())
                .transpose()
                .map_err(usage("--country"))?;
            let list = store.list_pool(country, now).await.map_err(store_err)?;
            print_json(&serde_json::to_value(list).unwrap_or_default());
        }
        Command::Tenant(TenantCmd::Set {
            direct_routing_emergency_rule,
            calling_plan_numbers,
        }) => {
            let t = TenantSettings {
                direct_routing_emergency_rule,
                has_calling_plan_numbers: calling_plan_numbers,
            };
            store.put_tenant(t).await.map_err(store_err)?;
            print_json(&serde_json::to_value(t).unwrap_or_default());
        }
        Command::Tenant(TenantCmd::Show) => {
            let t = store.get_tenant().await.map_err(store_err)?;
            print_json(&serde_json::to_value(t).unwrap_or_default());
        }
    }
    Ok(())
}

/// `pool add`: says how many were added and which were already present
/// (left as they were: a leased or quarantined number keeps its lease and
/// its quarantine).
async fn pool_add(
    store: &impl AdminStore,
    country: Country,
    numbers: &[E164],
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl std::io::Write,
) -> Result<(), Failure> {
    let r = store
        .add_numbers(country, numbers, now)
        .await
        .map_err(store_err)?;
    let _ = writeln!(
        out,
        "added {} to the {country} pool, already present {}",
        r.added.len(),
        r.present.len()
    );
    if !r.present.is_empty() {
        let _ = writeln!(
            out,
            "already present, left as they were (lease and quarantine unchanged; `lifeline pool list` shows them): {}",
            r.present
                .iter()
                .map(E164::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    Ok(())
}

/// `pool remove`: each number in turn, each outcome said; a refusal (leased,
/// in quarantine, unknown) leaves the number as it is and the command exits
/// 2 once the others are done. A store failure stops at once (exit 1).
async fn pool_remove(
    store: &impl AdminStore,
    numbers: &[E164],
    now: chrono::DateTime<chrono::Utc>,
    out: &mut impl std::io::Write,
) -> Result<(), Failure> {
    use lifeline_app::ports::RemoveError;
    let mut refused = 0;
    for n in numbers {
        match store.remove_number(n, now).await {
            Ok(()) => {
                let _ = writeln!(out, "{n} removed");
            }
            Err(RemoveError::Store(e)) => return Err(store_err(e)),
            Err(e) => {
                refused += 1;
                let _ = writeln!(out, "refused: {e}");
            }
        }
    }
    match refused {
        0 => Ok(()),
        _ => Err(Failure::Usage(format!(
            "{refused} of {} not removed",
            numbers.len()
        ))),
    }
}

/// Writes to stdout; a reader that went away (`| head`) is no failure.
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// `dlq`: gathers the dead letters over the AWS adapter, then lists, shows
/// or replays them (the logic is `lifeline_cli::dlq`'s).
async fn dlq(cmd: DlqCmd, aws: &lifeline_aws::dlq::DeadLetterClients) -> Result<(), Failure> {
    use lifeline_cli::dlq;
    let places = |p: DlqPlaces, only: Option<String>| -> Result<dlq::Places, Failure> {
        Ok(dlq::Places {
            stage: dlq::Stage::parse(p.stage.trim()).map_err(usage("--stage"))?,
            failure_bucket: p
                .failure_bucket
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty()),
            only,
        })
    };
    let gather = |places: dlq::Places| async move {
        let gathered = dlq::gather(aws, &places).await.map_err(|e| match e {
            dlq::GatherError::NoSuchPlace(..) => Failure::Usage(e.to_string()),
            dlq::GatherError::Aws(e) => Failure::Store(e.to_string()),
        })?;
        for note in &gathered.notes {
            eprintln!("note: {note}");
        }
        Ok::<_, Failure>(gathered.letters)
    };
    match cmd {
        DlqCmd::List {
            places: p,
            queue,
            json,
        } => {
            let letters = gather(places(p, queue)?).await?;
            if json {
                emit(&format!("{}\n", dlq::list_json(&letters)));
            } else if letters.is_empty() {
                eprintln!("no dead letters");
            } else {
                emit(&dlq::list_text(&letters));
            }
        }
        DlqCmd::Show {
            id,
            places: p,
            queue,
            raw,
        } => {
            let letters = gather(places(p, queue)?).await?;
            let letter = dlq::find(&letters, &id).map_err(|e| Failure::Usage(e.to_string()))?;
            emit(&dlq::show_text(letter, raw));
        }
        DlqCmd::Replay {
            ids,
            all,
            queue,
            places: p,
        } => {
            let letters = gather(places(p, queue)?).await?;
            // Every id is resolved before anything is replayed.
            let chosen =
                dlq::select(&letters, &ids, all).map_err(|e| Failure::Usage(e.to_string()))?;
            let mut out = std::io::stdout();
            let summary = dlq::replay(aws, &chosen, &mut out).await;
            if all {
                let left = letters.iter().filter(|l| !l.replay.is_replayable()).count();
                if left > 0 {
                    eprintln!(
                        "left {left} that cannot be replayed (`lifeline dlq list` shows them)"
                    );
                }
            }
            emit(&format!("{}\n", summary.line()));
            if !summary.all_done() {
                return Err(Failure::Exit(1));
            }
        }
    }
    Ok(())
}

async fn template(
    cmd: TemplateCmd,
    store: &DynamoStore,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Failure> {
    use lifeline_app::ports::TemplateStore;
    use lifeline_domain::notification::{
        notification_data, render, validate, NotificationTemplate,
    };
    let in_force = || async {
        Ok::<_, Failure>(
            store
                .current_template()
                .await
                .map_err(store_err)?
                .unwrap_or_else(NotificationTemplate::builtin),
        )
    };
    match cmd {
        TemplateCmd::Push { dir } => {
            let read = |name: &str| {
                std::fs::read_to_string(dir.join(name))
                    .map_err(|e| Failure::Usage(format!("{}: {e}", dir.join(name).display())))
            };
            let current = store.current_template().await.map_err(store_err)?;
            let t = NotificationTemplate {
                subject: read("subject.txt")?,
                html: read("body.html")?,
                text: read("body.txt")?,
                version: current.map_or(1, |c| c.version + 1),
            };
            validate(&t).map_err(|e| Failure::Usage(format!("template not saved: {e}")))?;
            store.push_template(&t, now).await.map_err(|e| match e {
                lifeline_app::ports::TemplateSaveError::Store(e) => store_err(e),
                other => Failure::Usage(other.to_string()),
            })?;
            eprintln!(
                "template {} version {} saved and in force",
                lifeline_domain::notification::TEMPLATE_NAME,
                t.version
            );
        }
        TemplateCmd::Show => {
            let t = in_force().await?;
            let origin = if t.version == 0 {
                "built-in default".to_string()
            } else {
                format!("version {}", t.version)
            };
            println!(
                "# {} ({origin})\n## subject.txt\n{}\n## body.html\n{}\n## body.txt\n{}",
                lifeline_domain::notification::TEMPLATE_NAME,
                t.subject.trim_end(),
                t.html.trim_end(),
                t.text.trim_end()
            );
        }
        TemplateCmd::Preview {
            agent,
            test,
            window_minutes,
        } => {
            let id: AgentId = agent.parse().map_err(usage("--agent"))?;
            let profile = store
                .get_agent(&id)
                .await
                .map_err(store_err)?
                .ok_or_else(|| Failure::Usage(format!("no agent `{id}`")))?;
            let mut data = lifeline_domain::notification::sample_data(test, true);
            let window = chrono::Duration::minutes(window_minutes);
            let sample =
                notification_data(&sample_call(&profile, test, now), Some(&profile), window);
            data.agent_name = sample.agent_name;
            data.agent_email = sample.agent_email;
            data.callback_window_minutes = sample.callback_window_minutes;
            let email =
                render(&in_force().await?, &data).map_err(|e| Failure::Usage(e.to_string()))?;
            println!(
                "To: {}\nSubject: {}\n\n{}\n--- HTML ---\n{}",
                preview_to(&profile.recipients),
                email.subject,
                email.text.trim_end(),
                email.html.trim_end()
            );
        }
    }
    Ok(())
}

/// Who a preview says the e-mail goes to: one message per recipient.
fn preview_to(recipients: &lifeline_domain::types::Recipients) -> String {
    match recipients.as_slice() {
        [] => "(no recipients: nothing would be sent)".into(),
        [one] => one.as_str().to_string(),
        all => format!(
            "{} (one message to each; nobody sees the others)",
            all.iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A call of this agent's to fill a preview with.
fn sample_call(
    agent: &AgentProfile,
    test: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> lifeline_domain::call::EmergencyCall {
    lifeline_domain::call::EmergencyCall {
        call_id: "preview"
            .parse()
            .unwrap_or_else(|_| unreachable!("a valid id")),
        agent_id: agent.id.clone(),
        dialed: if test { "933" } else { "911" }.into(),
        emergency_number: if test { "933" } else { "911" }.into(),
        test,
        country: agent.country,
        location: None,
        location_source: None,
        caller_id: agent.source_number.clone(),
        leased_number: None,
        lease_id: None,
        callback_expires_at: None,
        route: lifeline_domain::route::Route::DirectOffer,
        degraded: false,
        reason: None,
        dialed_at: now,
        desktop_time: None,
        ended_at: None,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Store(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
        Err(Failure::Exit(code)) => ExitCode::from(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_says_each_recipient_gets_a_message_of_its_own() {
        assert_eq!(
            preview_to(&Recipients::default()),
            "(no recipients: nothing would be sent)"
        );
        assert_eq!(
            preview_to(&Recipients::parse("a@example.com").unwrap()),
            "a@example.com"
        );
        assert_eq!(
            preview_to(&Recipients::parse("a@example.com; b@example.com").unwrap()),
            "a@example.com, b@example.com (one message to each; nobody sees the others)"
        );
    }

    fn t(min: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
            + chrono::Duration::minutes(min)
    }

    /// `+14255550190` in the US pool, leased by a call at t(0) ended at
    /// t(10): held until t(70), in quarantine until t(130).
    fn store_with_ended_lease() -> lifeline_app::fakes::MemoryStore {
        use lifeline_domain::lease::{LeasePolicy, NewLease};
        let store = lifeline_app::fakes::MemoryStore::new();
        let p = LeasePolicy::default();
        let lease = p.start(
            NewLease {
                id: "l-1".parse().unwrap(),
                number: "+14255550190".parse().unwrap(),
                country: Country::US,
                agent: "a-42".parse().unwrap(),
                call: "c-1".parse().unwrap(),
                fallback: vec![],
            },
            t(0),
        );
        let ended = p.on_end(&lease, &"c-1".parse().unwrap(), t(10)).unwrap();
        store.with_state(|s| {
            s.numbers.insert(
                ended.number.clone(),
                lifeline_app::fakes::NumberState {
                    country: Country::US,
                    available_at: p.available_at(&ended),
                    lease: Some(ended.clone()),
                },
            )
        });
        store
    }

    fn numbers(n: &[&str]) -> Vec<E164> {
        n.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[tokio::test]
    async fn pool_remove_prints_the_quarantine_and_exits_non_zero() {
        let store = store_with_ended_lease();
        let mut out = Vec::new();
        let r = pool_remove(&store, &numbers(&["+14255550190"]), t(80), &mut out).await;
        let text = String::from_utf8(out).unwrap();
        assert!(
            matches!(&r, Err(Failure::Usage(m)) if m == "1 of 1 not removed"),
            "exit 2"
        );
        assert_eq!(
            text,
            "refused: +14255550190 is in quarantine until 2026-11-24T07:10:00Z: a late emergency \
             callback may still come for its previous holder; it can be removed from then\n"
        );

        // The others still go; the refused one stays.
        AdminStore::add_numbers(&store, Country::US, &numbers(&["+14255550191"]), t(0))
            .await
            .unwrap();
        let mut out = Vec::new();
        let r = pool_remove(
            &store,
            &numbers(&["+14255550190", "+14255550191"]),
            t(80),
            &mut out,
        )
        .await;
        assert!(matches!(&r, Err(Failure::Usage(m)) if m == "1 of 2 not removed"));
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("+14255550191 removed\n"), "{text}");

        // From availableAt on, it goes.
        let mut out = Vec::new();
        assert!(
            pool_remove(&store, &numbers(&["+14255550190"]), t(130), &mut out)
                .await
                .is_ok()
        );
        assert_eq!(String::from_utf8(out).unwrap(), "+14255550190 removed\n");
    }

    #[tokio::test]
    async fn pool_remove_stops_on_a_store_failure() {
        let store = store_with_ended_lease();
        store.set_failing(true);
        let r = pool_remove(&store, &numbers(&["+14255550190"]), t(200), &mut Vec::new()).await;
        assert!(matches!(r, Err(Failure::Store(_))), "exit 1");
    }

    #[tokio::test]
    async fn pool_add_reports_the_numbers_already_present() {
        let store = store_with_ended_lease();
        let mut out = Vec::new();
        pool_add(
            &store,
            Country::US,
            &numbers(&["+14255550191", "+14255550190", "+14255550192"]),
            t(20),
            &mut out,
        )
        .await
        .map_err(|_| "added")
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "added 2 to the US pool, already present 1\n\
             already present, left as they were (lease and quarantine unchanged; \
             `lifeline pool list` shows them): +14255550190\n"
        );
        let pool = store.list_pool(None, t(20)).await.unwrap();
        assert_eq!(pool[0].state, "leased", "{pool:?}");
        assert_eq!(pool[0].available_at, "2026-11-24T07:10:00Z");
    }

    /// A store that keeps the TTL it was given (the memory store drops it).
    struct KeepsTtl {
        inner: lifeline_app::fakes::MemoryStore,
        ttl: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    }

    #[async_trait::async_trait]
    impl LocationStore for KeepsTtl {
        async fn registered_location(
            &self,
            agent: &AgentId,
        ) -> Result<
            (bool, Option<lifeline_domain::location::RegisteredLocation>),
            lifeline_app::ports::StoreError,
        > {
            self.inner.registered_location(agent).await
        }

        async fn register_location(
            &self,
            agent: &AgentId,
            registered: &lifeline_domain::location::RegisteredLocation,
            ttl: chrono::DateTime<chrono::Utc>,
        ) -> Result<(), LocationError> {
            *self.ttl.lock().unwrap() = Some(ttl);
            self.inner.register_location(agent, registered, ttl).await
        }
    }

    /// A location service over a store holding agent a-42, at t(0), fresh
    /// for 12 h.
    fn location_service() -> (
        LocationService<KeepsTtl>,
        std::sync::Arc<KeepsTtl>,
        lifeline_app::clock::FixedClock,
    ) {
        let inner = lifeline_app::fakes::MemoryStore::new();
        inner.add_agent(AgentProfile {
            id: "a-42".parse().unwrap(),
            name: "Ana Diaz".into(),
            email: None,
            country: Some(Country::US),
            other_country: None,
            source_number: "+14255550100".parse().unwrap(),
            number_type: NumberType::CallingPlan,
            recipients: Recipients::default(),
            fallback: vec![],
            outbound_profile: None,
            platform: Default::default(),
        });
        let store = std::sync::Arc::new(KeepsTtl {
            inner,
            ttl: Default::default(),
        });
        let clock = lifeline_app::clock::FixedClock::at(t(0));
        let service = LocationService::new(
            store.clone(),
            std::sync::Arc::new(clock.clone()),
            chrono::Duration::hours(12),
        );
        (service, store, clock)
    }

    /// `agent location set` as parsed from `args` (after the agent id).
    fn location_set_args(id: &str, args: &[&str]) -> Result<LocationSet, clap::error::ErrorKind> {
        match Cli::try_parse_from(
            ["lifeline", "agent", "location", "set", id]
                .iter()
                .chain(args),
        )
        .map(|c| c.command)
        {
            Ok(Command::Agent(AgentCmd::Location(LocationCmd::Set(s)))) => Ok(*s),
            Ok(_) => unreachable!("a location set"),
            Err(e) => Err(e.kind()),
        }
    }

    fn usage_message(r: Result<impl std::fmt::Debug, Failure>) -> String {
        match r {
            Err(Failure::Usage(m)) => m,
            Err(Failure::Store(m)) => panic!("a store failure, not a usage one: {m}"),
            Err(Failure::Exit(c)) => panic!("exit {c}, not a usage failure"),
            Ok(v) => panic!("accepted: {v:?}"),
        }
    }

    #[tokio::test]
    async fn a_location_set_with_flags_registers_as_the_http_route_does() {
        let (service, store, _) = location_service();
        let set = location_set_args(
            "a-42",
            &[
                "--country",
                "us",
                "--civic",
                "RD=Main St",
                "--civic",
                "hno=1",
                "--civic",
                "A3=Redmond",
                "--civic",
                "A1=WA",
                "--civic",
                "FLR=3",
                "--lat",
                "47.6",
                "--lon",
                "-122.1",
                "--radius-m",
                "30",
                "--method",
                "manual",
            ],
        )
        .unwrap();
        let view = location_set(&service, &set)
            .await
            .map_err(|_| "set")
            .unwrap();
        assert_eq!(view.location_quality, Some(LocationQuality::Dispatchable));
        assert!(view.fresh);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["agentId"], "a-42");
        assert_eq!(json["location"]["country"], "US");
        assert_eq!(
            json["location"]["civic"]["HNO"], "1",
            "keys are upper-cased"
        );
        assert_eq!(json["location"]["lon"], -122.1);
        assert_eq!(json["location"]["radiusM"], 30.0);
        assert_eq!(json["location"]["method"], "Manual");
        assert_eq!(json["locationQuality"], "dispatchable");
        assert_eq!(json["registeredAt"], "2026-11-24T05:00:00Z");
        // The service's TTL: fresh for 12 h, kept 30 days more.
        assert_eq!(
            *store.ttl.lock().unwrap(),
            Some(
                t(0) + chrono::Duration::hours(12)
                    + chrono::Duration::days(
                        lifeline_app::service::location::KEPT_AFTER_STALE_DAYS
                    )
            )
        );
        assert!(location_notes(&view, chrono::Duration::hours(12)).is_empty());
    }

    #[tokio::test]
    async fn a_location_set_takes_the_wire_shape_as_json() {
        let (service, _, _) = location_service();
        let json = r#"{"country":"US","address":"1 Main St, Redmond WA",
            "civic":{"A1":"WA","A3":"Redmond","RD":"Main St","HNO":"1","FLR":"3","ROOM":"301","PC":"98052","NAM":"Contoso HQ"},
            "lat":47.6,"lon":-122.1,"radiusM":30,"method":"Manual","determinedAt":"2026-11-24T04:55:00Z"}"#;
        let set = location_set_args("a-42", &["--json", json]).unwrap();
        let view = location_set(&service, &set)
            .await
            .map_err(|_| "set")
            .unwrap();
        let out = serde_json::to_value(&view).unwrap();
        assert_eq!(out["location"]["civic"]["NAM"], "Contoso HQ");
        assert_eq!(out["location"]["determinedAt"], "2026-11-24T04:55:00Z");
        assert_eq!(out["locationQuality"], "dispatchable");
        // --json stands alone.
        assert!(location_set_args("a-42", &["--json", json, "--country", "US"]).is_err());
    }

    #[tokio::test]
    async fn a_bad_location_field_is_named_and_nothing_is_written() {
        let (service, store, _) = location_service();
        let cases: &[(&[&str], &str)] = &[
            (
                &["--country", "USA"],
                "--country: must be an ISO 3166 alpha-2 code",
            ),
            (
                &["--civic", "XYZ=1"],
                "--civic XYZ: is not a civic address key",
            ),
            (&["--civic", "RD"], "--civic: `RD` is not KEY=VALUE"),
            (
                &["--civic", "RD=a", "--civic", "rd=b"],
                "--civic: RD given twice",
            ),
            (
                &["--lat", "91", "--lon", "0"],
                "--lat: must be between -90 and 90",
            ),
            (
                &["--lat", "-1"],
                "--lon: is required with the other coordinate",
            ),
            (&["--radius-m", "10"], "--radius-m: needs --lat and --lon"),
            (&["--method", "Telepathy"], "--method: must be one of"),
            (&[], "nothing to register"),
            (&["--json", "[1]"], "--json: must be a JSON object"),
            (&["--json", "{"], "--json: not JSON"),
            (
                &["--json", r#"{"lat":"1"}"#],
                "--json: `location.lat`: invalid type",
            ),
            (
                &["--json", r#"{"location":{}}"#],
                "--json: unknown field `location`",
            ),
            (
                &["--json", r#"{"civic":{"XYZ":"1"}}"#],
                "--json: `location.civic.XYZ` is not",
            ),
            (
                &["--json", r#"{"determinedAt":"now"}"#],
                "--json: `location.determinedAt`",
            ),
        ];
        for (args, expected) in cases {
            let set = location_set_args("a-42", args).unwrap();
            let m = usage_message(location_set(&service, &set).await);
            assert!(m.starts_with(expected), "{args:?}: {m}");
        }
        let bad_id = location_set_args("a b", &["--country", "US"]).unwrap();
        assert!(usage_message(location_set(&service, &bad_id).await).starts_with("agent id"));
        assert_eq!(*store.ttl.lock().unwrap(), None, "nothing written");
        // clap itself refuses a coordinate that is no number (exit 2).
        assert!(location_set_args("a-42", &["--lat", "north"]).is_err());
    }

    #[tokio::test]
    async fn an_unknown_agent_is_refused() {
        let (service, _, _) = location_service();
        let set = location_set_args("a-99", &["--country", "US"]).unwrap();
        assert_eq!(
            usage_message(location_set(&service, &set).await),
            "no agent `a-99`"
        );
        assert_eq!(
            usage_message(location_show(&service, "a-99").await),
            "no agent `a-99`"
        );
    }

    #[tokio::test]
    async fn location_show_says_fresh_then_stale_and_none_when_none() {
        let (service, _, clock) = location_service();
        assert!(matches!(location_show(&service, "a-42").await, Ok(None)));
        let set = location_set_args("a-42", &["--country", "US", "--civic", "RD=Main St"]).unwrap();
        location_set(&service, &set)
            .await
            .map_err(|_| "set")
            .unwrap();
        let shown = |v: Result<Option<RegisteredView>, Failure>| match v {
            Ok(Some(v)) => v,
            _ => panic!("a registration"),
        };
        let v = shown(location_show(&service, "a-42").await);
        assert!(v.fresh);
        assert_eq!(v.location_quality, Some(LocationQuality::Partial));
        let notes = location_notes(&v, chrono::Duration::hours(12));
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("partial: not enough to reach the door"),
            "{notes:?}"
        );
        clock.advance(chrono::Duration::hours(13));
        let v = shown(location_show(&service, "a-42").await);
        assert!(!v.fresh);
        assert_eq!(serde_json::to_value(&v).unwrap()["fresh"], false);
        let notes = location_notes(&v, chrono::Duration::hours(12));
        assert!(
            notes[0].contains("past the freshness limit of 12 h (LIFELINE_LOCATION_FRESH_HOURS)"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_preview_takes_the_configured_window() {
        let window = |args: &[&str]| match Cli::try_parse_from(
            ["lifeline", "template", "preview", "--agent", "a-42"]
                .iter()
                .chain(args),
        )
        .map(|c| c.command)
        {
            Ok(Command::Template(TemplateCmd::Preview { window_minutes, .. })) => {
                Ok(window_minutes)
            }
            Ok(_) => unreachable!("a preview"),
            Err(e) => Err(e.kind()),
        };
        assert_eq!(window(&["--window-minutes", "90"]), Ok(90));
        assert!(window(&["--window-minutes", "30"]).is_err(), "at least 60");
        if std::env::var_os("LIFELINE_CALLBACK_WINDOW_MINUTES").is_none() {
            assert_eq!(window(&[]), Ok(60));
        }
    }
}
