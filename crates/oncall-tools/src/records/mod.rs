//! The telemetry record types: what a [`DataSource`](crate::DataSource)
//! holds and what scenario authors write in fixture files.
//!
//! Every record is an immutable value that validates on construction and on
//! deserialisation (`try_from` a private record with `deny_unknown_fields`).
//! Their JSON form is the fixture format, with plain field names; optional
//! fields may be left out.
//!
//! What a tool returns goes through [`cut_text`] (and [`cut_list`]), the one
//! implementation of the cut that keeps every returned string bounded by
//! [`ToolLimits`](crate::ToolLimits) and marks it `… [cut N chars]`.

mod catalogue;
mod deploy;
mod log;
mod metric;
mod runbook;

pub use crate::records::catalogue::{
    CATALOGUE_SECTIONS, CatalogueEntity, CatalogueEntry, ServiceCatalogue,
};
pub use crate::records::deploy::{Deploy, DeployStatus};
pub use crate::records::log::{LogEntry, LogLevel};
pub use crate::records::metric::{MetricPoint, MetricSeries};
pub use crate::records::runbook::Runbook;

use std::borrow::Cow;

use crate::error::RecordError;

/// `text` cut to its first `max_chars` characters and marked
/// `… [cut N chars]` (N: how many were left out); borrowed as it is when it
/// fits.
pub(crate) fn cut_text(text: &str, max_chars: usize) -> Cow<'_, str> {
    // No more bytes than the cap means no more characters either.
    if text.len() <= max_chars {
        return Cow::Borrowed(text);
    }
    let total = text.chars().count();
    if total <= max_chars {
        return Cow::Borrowed(text);
    }
    let kept: String = text.chars().take(max_chars).collect();
    Cow::Owned(format!("{kept}… [cut {} chars]", total - max_chars))
}

/// The first `max_items` of `items`, each cut to `max_chars` by
/// [`cut_text`]; when some were left out, a last item `… [cut N items]`
/// says how many.
pub(crate) fn cut_list(items: &[String], max_items: usize, max_chars: usize) -> Vec<String> {
    let mut kept: Vec<String> = items
        .iter()
        .take(max_items)
        .map(|item| cut_text(item, max_chars).into_owned())
        .collect();
    if items.len() > kept.len() {
        kept.push(format!("… [cut {} items]", items.len() - kept.len()));
    }
    kept
}

/// Trims `value` and rejects it when nothing is left.
pub(crate) fn non_blank(field: &'static str, value: String) -> Result<String, RecordError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(RecordError::EmptyField { field });
    }
    if trimmed.len() == value.len() {
        Ok(value)
    } else {
        Ok(trimmed.to_owned())
    }
}

/// Trims each item of `values` and rejects blank ones.
pub(crate) fn non_blank_all(
    field: &'static str,
    values: Vec<String>,
) -> Result<Vec<String>, RecordError> {
    values
        .into_iter()
        .map(|value| non_blank(field, value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_on_character_boundaries_and_marked() {
        assert_eq!(cut_text("ééééé", 2), "éé… [cut 3 chars]");
        assert!(matches!(cut_text("ééééé", 5), Cow::Borrowed("ééééé")));
        assert!(matches!(cut_text("abc", 3), Cow::Borrowed("abc")));
        assert_eq!(cut_text("abcd", 3), "abc… [cut 1 chars]");
    }

    #[test]
    fn lists_keep_the_first_items_cut_and_say_how_many_were_left_out() {
        let items: Vec<String> = ["alpha", "beta", "gamma"].map(str::to_owned).to_vec();
        assert_eq!(cut_list(&items, 3, 10), items);
        assert_eq!(
            cut_list(&items, 2, 3),
            vec![
                "alp… [cut 2 chars]",
                "bet… [cut 1 chars]",
                "… [cut 1 items]"
            ]
        );
    }
}
