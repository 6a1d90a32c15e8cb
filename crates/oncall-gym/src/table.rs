//! A tiny column-aligned text table for human output.

use crate::output;

/// Rows of cells, printed with every column padded to its widest cell and
/// two spaces between columns. Columns listed as numeric are right-aligned.
/// Control characters in a cell are escaped ([`output::escape`]): a cell
/// is always one line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
    right_aligned: Vec<usize>,
    /// Indexes of the rows a dashed rule is drawn above.
    rules_before: Vec<usize>,
}

impl Table {
    /// A table with a header row (underlined with dashes).
    pub(crate) fn with_header<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: Some(
                header
                    .into_iter()
                    .map(|cell| output::escape(&cell.into()))
                    .collect(),
            ),
            ..Table::default()
        }
    }

    /// A table without a header (e.g. key–value lines).
    pub(crate) fn new() -> Table {
        Table::default()
    }

    /// Right-aligns the columns at these indexes.
    pub(crate) fn right_align(mut self, columns: &[usize]) -> Table {
        self.right_aligned = columns.to_vec();
        self
    }

    /// Adds a row.
    pub(crate) fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|cell| output::escape(&cell.into()))
                .collect(),
        );
    }

    /// Draws a dashed rule between the rows so far and the next one.
    pub(crate) fn rule(&mut self) {
        self.rules_before.push(self.rows.len());
    }

    /// The table as text, one line per row, each ending in a newline, with
    /// no trailing spaces.
    pub(crate) fn render(&self) -> String {
        let mut widths: Vec<usize> = Vec::new();
        for row in self.header.iter().chain(&self.rows) {
            for (index, cell) in row.iter().enumerate() {
                let width = cell.chars().count();
                match widths.get_mut(index) {
                    Some(existing) => *existing = (*existing).max(width),
                    None => widths.push(width),
                }
            }
        }
        let mut text = String::new();
        let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
        if let Some(header) = &self.header {
            text.push_str(&self.line(header, &widths));
            text.push_str(&self.line(&rule, &widths));
        }
        for (index, row) in self.rows.iter().enumerate() {
            if self.rules_before.contains(&index) {
                text.push_str(&self.line(&rule, &widths));
            }
            text.push_str(&self.line(row, &widths));
        }
        text
    }

    fn line(&self, cells: &[String], widths: &[usize]) -> String {
        let mut line = String::new();
        for (index, cell) in cells.iter().enumerate() {
            if index > 0 {
                line.push_str("  ");
            }
            let width = widths.get(index).copied().unwrap_or(0);
            let padding = " ".repeat(width.saturating_sub(cell.chars().count()));
            if self.right_aligned.contains(&index) {
                line.push_str(&padding);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&padding);
            }
        }
        let mut line = line.trim_end().to_owned();
        line.push('\n');
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_and_numbers_right_aligned() {
        let mut table = Table::with_header(["id", "score"]).right_align(&[1]);
        table.row(["latency_spike", "0.93"]);
        table.rule();
        table.row(["a", "1"]);
        assert_eq!(
            table.render(),
            "id             score\n\
             -------------  -----\n\
             latency_spike   0.93\n\
             -------------  -----\n\
             a                  1\n"
        );
    }

    #[test]
    fn key_value_tables_have_no_header_and_no_trailing_spaces() {
        let mut table = Table::new();
        table.row(["scenario", "x"]);
        table.row(["steps", ""]);
        assert_eq!(table.render(), "scenario  x\nsteps\n");
    }

    #[test]
    fn cells_cannot_break_a_line_or_colour_the_terminal() {
        let mut table = Table::with_header(["id\n"]);
        table.row(["a\u{1b}[31m\r\nscore  1.000"]);
        assert_eq!(
            table.render(),
            "id\\n\n\
             ---------------------------\n\
             a\\u{1b}[31m\\r\\nscore  1.000\n"
        );
    }

    #[test]
    fn ragged_rows_and_wide_characters_do_not_panic() {
        let mut table = Table::with_header(["a"]);
        table.row(["ééé", "b", "c"]);
        table.row(Vec::<String>::new());
        let text = table.render();
        assert!(text.contains("ééé  b  c"), "{text}");
    }
}
