//! A chat recipient's incoming-webhook URL, and the hosts it may point at.
//! Webhook URLs are secrets (whoever has one can post to the channel): the
//! type never prints one whole except through [`ChatUrl::as_str`], which
//! only the store and the sender use.

use std::fmt;

/// The longest webhook URL accepted (Slack's, Teams' and Google Chat's are
/// well under 1 KiB).
pub const MAX_CHAT_URL: usize = 2048;

/// The one host plain `http` is accepted for: a local sink in tests.
pub const LOOPBACK: &str = "127.0.0.1";

/// Why a chat URL was refused. Never quotes the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidChatUrl {
    #[error("a chat URL must be https (plain http only for {LOOPBACK})")]
    Scheme,
    #[error("a chat URL must be at most {MAX_CHAT_URL} characters")]
    TooLong,
    #[error("a chat URL may hold only printable ASCII, and no `;`, `|`, `#` or quotes")]
    Character,
    #[error("a chat URL may not carry a user name or password")]
    UserInfo,
    #[error("a chat URL needs a host name (letters, digits, `-`, `.`)")]
    Host,
    #[error("a chat URL's port must be 1 to 65535")]
    Port,
}

/// A host name of the allow-list or of a URL: lower-cased, labels of
/// letters, digits and `-`, separated by dots.
fn host_name(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    ok.then(|| s.to_ascii_lowercase())
}

/// An incoming-webhook URL: `https://host[:port]/path?query` (plain `http`
/// for [`LOOPBACK`] only), no user info, no fragment, nothing that would
/// break the `;`/`|` list format. Scheme and host are lower-cased.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ChatUrl {
    url: String,
    /// Where the host starts and ends in `url`.
    host: (usize, usize),
}

impl ChatUrl {
    pub fn parse(s: &str) -> Result<ChatUrl, InvalidChatUrl> {
        if s.len() > MAX_CHAT_URL {
            return Err(InvalidChatUrl::TooLong);
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b'|' | b'#' | b'"' | b'\\'))
        {
            return Err(InvalidChatUrl::Character);
        }
        let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
        let (scheme, rest) = if lower.starts_with("https://") {
            ("https://", &s[8..])
        } else if lower.starts_with("http://") {
            ("http://", &s[7..])
        } else {
            return Err(InvalidChatUrl::Scheme);
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(InvalidChatUrl::UserInfo);
        }
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let host = host_name(host).ok_or(InvalidChatUrl::Host)?;
        if let Some(p) = port {
            match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => {}
                _ => return Err(InvalidChatUrl::Port),
            }
        }
        if scheme == "http://" && host != LOOPBACK {
            return Err(InvalidChatUrl::Scheme);
        }
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let tail = if tail.is_empty() { "/" } else { tail };
        let url = format!("{scheme}{host}{port}{tail}");
        Ok(ChatUrl {
            host: (scheme.len(), scheme.len() + host.len()),
            url,
        })
    }

    /// The whole URL: a secret, for the store and the sender only.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host name, lower-cased (what the allow-list names).
    pub fn host(&self) -> &str {
        &self.url[self.host.0..self.host.1]
    }

    /// Whether it is plain `http` (to [`LOOPBACK`]).
    pub fn is_plain_http(&self) -> bool {
        self.url.starts_with("http://")
    }

    /// For logs and screens: scheme and host only
    /// (`https://hooks.slack.com/…`).
    pub fn redacted(&self) -> String {
        format!("{}{}/…", &self.url[..self.host.0], self.host())
    }
}

impl fmt::Debug for ChatUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChatUrl({})", self.redacted())
    }
}

/// Why an allow-list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a host name (letters, digits, `-`, `.`; no scheme, port or path)")]
pub struct InvalidHost(pub String);

/// The hosts chat recipients may point at (`LIFELINE_CHAT_ALLOWED_HOSTS`:
/// `hooks.slack.com,chat.googleapis.com`): exact names, no wildcards, so a
/// webhook cannot be aimed at an internal service. Empty: no chat at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatHosts(Vec<String>);

impl ChatHosts {
    /// Comma-separated host names; spaces and empty items are ignored.
    pub fn parse(list: &str) -> Result<ChatHosts, InvalidHost> {
        let mut out: Vec<String> = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let host = host_name(item).ok_or_else(|| InvalidHost(item.to_string()))?;
            if !out.contains(&host) {
                out.push(host);
            }
        }
        Ok(ChatHosts(out))
    }

    /// No host: every chat recipient is refused.
    pub fn none() -> ChatHosts {
        ChatHosts::default()
    }

    pub fn allows(&self, url: &ChatUrl) -> bool {
        self.0.iter().any(|h| h == url.host())
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The canonical `a.example,b.example` form.
    pub fn joined(&self) -> String {
        self.0.join(",")
    }
}
