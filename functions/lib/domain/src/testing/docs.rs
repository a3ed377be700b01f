//! The docs' reference tables, for the tests that hold them to the code:
//! a table read from under its heading (a checked table), and a table
//! between two markers compared with the one the code renders, or rewritten
//! when its bless variable is set (a generated table).

use std::path::PathBuf;

/// A file of the repository, by its path from the repository's root.
pub fn repo_file(path: &str) -> PathBuf {
    // This crate is functions/lib/domain, whichever crate's test calls.
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .join(path)
}

/// A repository file's text (a test's failure when it cannot be read).
pub fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A markdown table: its header's cells and its rows' cells, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The cells of the column whose header is `name`, top to bottom.
    pub fn column(&self, name: &str) -> Vec<&str> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column `{name}` in {:?}", self.header));
        self.rows
            .iter()
            .map(|r| r.get(i).map_or("", String::as_str))
            .collect()
    }
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// Every table of `doc`, in order (a table: a row, a `|---|` separator and
/// the rows up to the first line that is no row).
pub fn tables(doc: &str) -> Vec<Table> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut found = vec![];
    let mut i = 0;
    while i + 1 < lines.len() {
        let separator = lines[i + 1].trim_start().starts_with("|---");
        if !(lines[i].trim_start().starts_with('|') && separator) {
            i += 1;
            continue;
        }
        let header = cells(lines[i]);
        let body = lines[i + 2..]
            .iter()
            .take_while(|l| l.trim_start().starts_with('|'));
        let rows: Vec<Vec<String>> = body.map(|l| cells(l)).collect();
        i += 2 + rows.len();
        found.push(Table { header, rows });
    }
    found
}

/// The first table after the line `heading` (e.g. `"## Routes"`).
pub fn table_under(doc: &str, heading: &str) -> Table {
    let start = doc
        .lines()
        .position(|l| l.trim_end() == heading)
        .unwrap_or_else(|| panic!("no heading `{heading}`"));
    let rest: Vec<&str> = doc.lines().skip(start + 1).collect();
    tables(&rest.join("\n"))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no table under `{heading}`"))
}

/// The spans between backticks of a cell or a line, left to right.
pub fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// A markdown table as the docs write it (`| a | b |`, a `|---|` line).
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let line = |cells: &[&str]| format!("| {} |\n", cells.join(" | "));
    let mut out = line(header);
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        for c in &cells {
            assert!(!c.contains('|'), "a `|` would break the table: {c}");
        }
        out.push_str(&line(&cells));
    }
    out
}

/// A generated block of a doc: what lies between two marker lines.
#[derive(Debug, Clone, Copy)]
pub struct Generated<'a> {
    /// The doc, from the repository's root.
    pub doc: &'a str,
    pub begin: &'a str,
    pub end: &'a str,
    /// Set (to anything), the test rewrites the block instead of comparing.
    pub bless_var: &'a str,
    /// The test to run with `bless_var` set, for the failure's message.
    pub test: &'a str,
}

impl Generated<'_> {
    /// Fails when the doc's block is not `content` (ending with a newline),
    /// or rewrites the block when the bless variable is set.
    pub fn check(&self, content: &str) {
        let doc = read(self.doc);
        let (Some(b), Some(e)) = (doc.find(self.begin), doc.find(self.end)) else {
            panic!(
                "{} lacks the markers {} … {}",
                self.doc, self.begin, self.end
            );
        };
        assert!(b < e, "{}: the end marker comes first", self.doc);
        let generated = format!("{}\n{content}{}", self.begin, self.end);
        let current = &doc[b..e + self.end.len()];
        if std::env::var_os(self.bless_var).is_some() {
            let path = repo_file(self.doc);
            let rewritten = doc.replacen(current, &generated, 1);
            std::fs::write(&path, rewritten).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            return;
        }
        assert!(
            current == generated,
            "{}'s table differs from the code's; rewrite it with {}=1 {}\n\
             --- in the doc:\n{current}\n--- from the code:\n{generated}",
            self.doc,
            self.bless_var,
            self.test
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_read_with_their_cells_trimmed() {
        let doc =
            "# T\n\ntext\n\n| a | b |\n|---|---|\n| `x` | y z |\n| 1 |  |\nafter\n\n| c |\n|---|\n";
        let t = tables(doc);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].header, ["a", "b"]);
        assert_eq!(t[0].rows, [vec!["`x`", "y z"], vec!["1", ""]]);
        assert_eq!(t[0].column("b"), ["y z", ""]);
        assert!(t[1].rows.is_empty());
        assert_eq!(table_under(doc, "# T"), t[0]);
        assert_eq!(code_spans("`a` and `b c`, not d"), ["a", "b c"]);
    }

    #[test]
    fn a_rendered_table_reads_back() {
        let rows = vec![vec!["`x`".to_string(), "y".to_string()]];
        let text = render(&["a", "b"], &rows);
        assert_eq!(text, "| a | b |\n|---|---|\n| `x` | y |\n");
        assert_eq!(tables(&text)[0].rows, rows);
    }
}
