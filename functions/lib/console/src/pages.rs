//! The console's pages: their paths, titles, and who may see them.

use lifeline_edge::console::{ConsoleUser, Group};

/// How often the board (and an incident's page) refreshes itself, in
/// milliseconds: a dial shows within about a second and a half of its
/// answer (the incident opens from the stream, then the next refresh).
pub const BOARD_REFRESH_MS: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Board,
    Pools,
    Agents,
    Template,
    Escalation,
    Readiness,
    DeadLetters,
}

impl Page {
    pub const ALL: [Page; 7] = [
        Page::Board,
        Page::Pools,
        Page::Agents,
        Page::Template,
        Page::Escalation,
        Page::Readiness,
        Page::DeadLetters,
    ];

    /// Its path under `/console/` (and `/console/api/`).
    pub fn slug(self) -> &'static str {
        match self {
            Page::Board => "board",
            Page::Pools => "pools",
            Page::Agents => "agents",
            Page::Template => "template",
            Page::Escalation => "escalation",
            Page::Readiness => "readiness",
            Page::DeadLetters => "dead-letters",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Page> {
        Page::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// The page's address (the board is the console's home).
    pub fn href(self) -> String {
        match self {
            Page::Board => "/console/".into(),
            p => format!("/console/{}", p.slug()),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Page::Board => "Incidents",
            Page::Pools => "Callback number pools",
            Page::Agents => "Agents",
            Page::Template => "Message templates",
            Page::Escalation => "Escalation policy",
            Page::Readiness => "Readiness",
            Page::DeadLetters => "Dead letters",
        }
    }

    /// The security desk sees the incidents; the configuration (which
    /// holds who is alerted, and how) is the admins'.
    pub fn needs(self) -> Needs {
        match self {
            Page::Board => Needs::Desk,
            _ => Needs::Admin,
        }
    }

    /// What a refusal says the user may not do.
    pub fn what(self) -> &'static str {
        match self {
            Page::Board => "see incidents",
            _ => "see the configuration",
        }
    }
}

/// Who may do a thing: the security desk and admins, or admins alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Desk,
    Admin,
}

impl Needs {
    pub fn allows(self, user: &ConsoleUser) -> bool {
        match self {
            Needs::Desk => user.is(Group::SecurityDesk) || user.is(Group::Admin),
            Needs::Admin => user.is(Group::Admin),
        }
    }
}
