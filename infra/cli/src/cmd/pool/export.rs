//! `lifeline pool export --format kamailio`: every pool number (free, leased
//! or in quarantine) as the db_text table the reference SIP proxy re-reads
//! (`infra/sip`), so a call to a pool number never takes an ordinary route
//! while Lifeline cannot answer for it.

use lifeline_app::ports::PoolNumber;
use std::path::Path;

/// The table's header: db_text's column names and types, as Kamailio's
/// `htable` loads them.
const HEADER: &str = "key_name(str) key_type(int) value_type(int) key_value(str) expires(int)";

/// The db_text table: one row per number (`<E.164>:0:0:<country>:0`), sorted,
/// so two exports of one pool are the same file.
pub fn kamailio_table(numbers: &[PoolNumber]) -> String {
    let mut rows: Vec<String> = numbers
        .iter()
        .map(|n| format!("{}:0:0:{}:0", escape(&n.number), escape(&n.country)))
        .collect();
    rows.sort();
    rows.dedup();
    let mut out = String::from(HEADER);
    out.push('\n');
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    out
}

/// db_text's escapes: its column separator and the escape itself. An E.164
/// number and a country code have neither; a hand-edited store might.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace(':', "\\:")
}

/// Writes `text` to `path` whole: a temporary file beside it, then a rename,
/// so the proxy never reads half a table. Kamailio's db_text notices a
/// change by the file's modification time in whole seconds: a table written
/// within the second of the one it replaces is dated a second later, or the
/// proxy would keep the old one.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let before = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    std::fs::write(&tmp, text)?;
    if let Some(before) = before {
        let file = std::fs::File::options().write(true).open(&tmp)?;
        let written = file.metadata()?.modified()?;
        if whole_seconds(written) <= whole_seconds(before) {
            let later =
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(whole_seconds(before) + 1);
            file.set_modified(later)?;
        }
    }
    std::fs::rename(&tmp, path)
}

fn whole_seconds(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(n: &str, country: &str) -> PoolNumber {
        PoolNumber {
            number: n.into(),
            country: country.into(),
            state: "free",
            leased_to: None,
            callback_window_ends_at: None,
            active_calls: None,
            held_until: None,
            quarantined_until: None,
            available_at: String::new(),
        }
    }

    #[test]
    fn every_number_is_a_row_of_the_db_text_table_in_order() {
        let table = kamailio_table(&[
            number("+4533123499", "DK"),
            number("+14255550199", "US"),
            number("+14255550199", "US"),
        ]);
        assert_eq!(
            table,
            "key_name(str) key_type(int) value_type(int) key_value(str) expires(int)\n\
             +14255550199:0:0:US:0\n\
             +4533123499:0:0:DK:0\n"
        );
    }

    #[test]
    fn an_empty_pool_is_the_header_alone() {
        assert_eq!(kamailio_table(&[]).lines().count(), 1);
    }

    #[test]
    fn separators_in_a_value_are_escaped() {
        let table = kamailio_table(&[number("+1:2\\3", "US")]);
        assert!(table.contains("+1\\:2\\\\3:0:0:US:0"), "{table}");
    }

    #[test]
    fn a_written_table_replaces_the_old_one_whole() {
        let dir = std::env::temp_dir().join(format!("pool-export-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pool");
        write_atomically(&path, "old\n").unwrap();
        let old = std::fs::metadata(&path).unwrap().modified().unwrap();
        write_atomically(&path, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let new = std::fs::metadata(&path).unwrap().modified().unwrap();
        // Within the same second: dated a second later, so db_text sees it.
        assert!(whole_seconds(new) > whole_seconds(old));
        assert!(!dir.join("pool.new").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
