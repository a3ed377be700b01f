//! Whose dead letters a place keeps (pure): each failure queue of a stage,
//! and its failure bucket, belongs to one or a few of the stage's own
//! functions, as template.yaml wires them. A replay invokes that function,
//! named from the stage (`lifeline-<stage>-<function>`), never the function
//! a letter names: a letter naming any other function, version, account or
//! region is refused, so that a planted message cannot make an admin's
//! credentials invoke what it likes.

use lifeline_aws::dlq::QueueRef;
use serde_json::Value;

use super::plan::{ReplayPlan, Stage, StageFunction};

/// What each of a stage's failure queues (`lifeline-<stage>-<suffix>`) keeps
/// the failures of: the functions by their registry names.
const QUEUE_OWNERS: &[(&str, &[&str])] = &[
    ("notifier-failures", &["notifier"]),
    ("presence-override-failures", &["presence-override"]),
    ("platform-presence-failures", &["platform-presence"]),
    ("incident-log-failures", &["incident-log"]),
    ("callback-lease-failures", &["callback-lease"]),
    ("stream-events-failures", &["stream-events"]),
    ("connect-adapter-failures", &["connect-adapter"]),
    // The Connect DISCONNECTED rule's target dead letters.
    ("connect-disconnect-dlq", &["connect-adapter"]),
    // The lease-expiry schedules' dead letters.
    ("lease-expiry-dlq", &["callback-lease"]),
    // The bus rules' target dead letters: one queue for all the rules.
    (
        "bus-delivery-failures",
        &[
            "presence-override",
            "notifier",
            "callback-lease",
            "platform-presence",
            "incident-log",
        ],
    ),
];

/// The stream's failure bucket keeps the batches of its one reader.
const BUCKET_OWNERS: &[&str] = &["stream-events"];

/// The place a dead letter was read from, and the stage's functions it
/// belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owners {
    place: String,
    functions: Vec<StageFunction>,
    /// Where an AWS queue lives, from its URL (`None` for a bucket, or an
    /// emulator's queue: its URLs and the runner's function ARNs need not
    /// agree on an account).
    home: Option<Home>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Home {
    region: String,
    account: String,
}

impl Owners {
    /// The functions whose failures the stage's queue keeps (none for a
    /// queue the template does not wire to a function).
    pub fn of_queue(stage: &Stage, queue: &QueueRef) -> Self {
        let functions = queue
            .name
            .strip_prefix(&stage.queue_prefix())
            .and_then(|suffix| QUEUE_OWNERS.iter().find(|(s, _)| *s == suffix))
            .map_or(&[][..], |(_, owners)| *owners);
        Owners {
            place: queue.name.clone(),
            functions: functions
                .iter()
                .map(|f| StageFunction::of(stage, f))
                .collect(),
            home: aws_queue_home(&queue.url),
        }
    }

    /// The stream's failure bucket: its reader's.
    pub fn of_bucket(stage: &Stage, bucket: &str) -> Self {
        Owners {
            place: format!("s3://{bucket}"),
            functions: BUCKET_OWNERS
                .iter()
                .map(|f| StageFunction::of(stage, f))
                .collect(),
            home: None,
        }
    }

    /// How a letter naming `function_arn` goes back: an invoke of the
    /// stage's own function it names, or refused with the reason.
    pub fn invoke(&self, function_arn: &str, payload: Value, stream_batch: bool) -> ReplayPlan {
        match self.authorise(function_arn) {
            Ok(function) => ReplayPlan::Invoke {
                function,
                payload,
                stream_batch,
            },
            Err(why) => ReplayPlan::Refused { why },
        }
    }

    /// The stage's function `function_arn` names, if it is one of this
    /// place's, unqualified (or `$LATEST`) and, for an AWS queue, in the
    /// queue's account and region.
    fn authorise(&self, function_arn: &str) -> Result<StageFunction, String> {
        let Some(arn) = FunctionArn::parse(function_arn) else {
            return Err(format!("names `{function_arn}`, not a Lambda function"));
        };
        if self.functions.is_empty() {
            return Err(format!(
                "names {}, but no function of the stage fails to {}",
                arn.name, self.place
            ));
        }
        let Some(own) = self.functions.iter().find(|f| f.name() == arn.name) else {
            return Err(format!(
                "names function {}, not the stage's {} whose failures {} keeps",
                arn.name,
                self.function_names(),
                self.place
            ));
        };
        if let Some(q) = arn.qualifier.filter(|q| *q != "$LATEST") {
            return Err(format!("names version or alias `{q}` of {}", arn.name));
        }
        if let Some(home) = &self.home {
            if (arn.account, arn.region) != (home.account.as_str(), home.region.as_str()) {
                return Err(format!(
                    "names {} in account {} ({}), but {} is in account {} ({})",
                    arn.name, arn.account, arn.region, self.place, home.account, home.region
                ));
            }
        }
        Ok(own.clone())
    }

    fn function_names(&self) -> String {
        let names: Vec<&str> = self.functions.iter().map(StageFunction::name).collect();
        names.join(" or ")
    }
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
struct FunctionArn<'a> {
    region: &'a str,
    account: &'a str,
    name: &'a str,
    qualifier: Option<&'a str>,
}

impl<'a> FunctionArn<'a> {
    fn parse(arn: &'a str) -> Option<Self> {
        match arn.split(':').collect::<Vec<_>>().as_slice() {
            ["arn", _, "lambda", region, account, "function", name, rest @ ..]
                if rest.len() <= 1 && !name.is_empty() =>
            {
                Some(FunctionArn {
                    region,
                    account,
                    name,
                    qualifier: rest.first().copied(),
                })
            }
            _ => None,
        }
    }
}

/// `https://sqs.REGION.amazonaws.com[.cn]/ACCOUNT/NAME` (or the legacy
/// `https://REGION.queue.amazonaws.com/…`): where the queue lives.
fn aws_queue_home(url: &str) -> Option<Home> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let region = host
        .strip_prefix("sqs.")
        .and_then(|h| h.split_once(".amazonaws.com"))
        .or_else(|| host.split_once(".queue.amazonaws.com"))
        .map(|(region, _)| region)?;
    let account = path.split('/').next()?;
    let twelve_digits = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (twelve_digits && !region.is_empty()).then(|| Home {
        region: region.to_string(),
        account: account.to_string(),
    })
}
