//! `agent put --recipients` and `agent recipients set` as the command line
//! gives them: every channel kept, chat hosts checked, numbers and webhooks
//! masked in what is printed.

use super::*;
use crate::cmd::{Cli, Command};
use clap::Parser;
use lifeline_domain::recipient::Channel;

const LIST: &str = "ana@example.com;sms:+14255550111|es;chat:http://127.0.0.1:9/x";

fn put(recipients: &str) -> AgentPut {
    let cli = Cli::try_parse_from([
        "lifeline",
        "agent",
        "put",
        "--id",
        "a-42",
        "--name",
        "Ana Diaz",
        "--source-number",
        "+14255550100",
        "--number-type",
        "calling_plan",
        "--recipients",
        recipients,
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    match cli.command {
        Command::Agent(AgentCmd::Put(p)) => *p,
        _ => panic!("not agent put"),
    }
}

fn local() -> ChatHosts {
    ChatHosts::parse("127.0.0.1").unwrap()
}

#[test]
fn every_channel_is_kept_in_order() {
    let a = parse_agent(put(LIST), &local()).unwrap();
    let got: Vec<(Channel, &str)> = a
        .recipients
        .entries()
        .iter()
        .map(|r| (r.channel(), r.address.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Channel::Email, "ana@example.com"),
            (Channel::Sms, "+14255550111"),
            (Channel::Chat, "http://127.0.0.1:9/x"),
        ]
    );
    // What is stored: every entry whole.
    assert_eq!(
        a.recipients.joined(),
        "ana@example.com; sms:+14255550111|es; chat:http://127.0.0.1:9/x"
    );
}

#[test]
fn what_is_printed_is_masked() {
    let a = parse_agent(put(LIST), &local()).unwrap();
    let shown = agent_json(&a).to_string();
    assert!(
        shown.contains("ana@example.com; sms:+*******0111|es; chat:http://127.0.0.1/…"),
        "{shown}"
    );
    assert!(
        !shown.contains("4255550111") && !shown.contains(":9/x"),
        "{shown}"
    );
}

#[test]
fn a_chat_host_not_allowed_is_refused_naming_the_entry() {
    let Err(Failure::Usage(e)) = parse_agent(put(LIST), &ChatHosts::none()) else {
        panic!("accepted without 127.0.0.1 allowed");
    };
    assert!(
        e.starts_with("--recipients: recipient 3 (chat:http://127.0.0.1/…)")
            && e.contains("LIFELINE_CHAT_ALLOWED_HOSTS"),
        "{e}"
    );
    let Err(Failure::Usage(e)) = parse_agent(put("sms:+1425|xx"), &local()) else {
        panic!("a bad number accepted");
    };
    assert!(e.contains("recipient 1 (sms)"), "{e}");
}

#[test]
fn recipients_set_takes_the_same_list() {
    let cli = Cli::try_parse_from(["lifeline", "agent", "recipients", "set", "a-42", LIST])
        .unwrap_or_else(|e| panic!("{e}"));
    let Command::Agent(AgentCmd::Recipients(RecipientsCmd::Set { recipients, .. })) = cli.command
    else {
        panic!("not agent recipients set");
    };
    assert_eq!(
        Recipients::parse_with(&recipients, &local()).unwrap().len(),
        3
    );
}
