//! [`Runbook`].

use serde::{Deserialize, Serialize};

use crate::context::ToolLimits;
use crate::error::RecordError;
use crate::records::{cut_list, cut_text, non_blank, non_blank_all};

/// A runbook: what to check and do for a kind of problem.
///
/// JSON: `{"id", "title", "services"?, "keywords"?, "steps"}`. `keywords`
/// are the symptoms and terms it is found by (e.g. `"connection pool"`,
/// `"timeout"`); `services` and `keywords` may be left out (empty); `steps`
/// must list at least one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RunbookRecord")]
pub struct Runbook {
    id: String,
    title: String,
    services: Vec<String>,
    keywords: Vec<String>,
    steps: Vec<String>,
}

impl Runbook {
    /// A runbook for no particular service and without keywords; add them
    /// with the `with_*` methods. Nothing may be blank.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        steps: Vec<String>,
    ) -> Result<Runbook, RecordError> {
        if steps.is_empty() {
            return Err(RecordError::EmptyList { field: "steps" });
        }
        Ok(Runbook {
            id: non_blank("id", id.into())?,
            title: non_blank("title", title.into())?,
            services: Vec::new(),
            keywords: Vec::new(),
            steps: non_blank_all("steps", steps)?,
        })
    }

    /// The runbook's id, unique within a data source.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The services it applies to; empty for any.
    pub fn services(&self) -> &[String] {
        &self.services
    }

    /// The symptoms and terms it is found by.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// What to do, in order.
    pub fn steps(&self) -> &[String] {
        &self.steps
    }

    /// A copy with these services, none blank.
    pub fn with_services(&self, services: Vec<String>) -> Result<Runbook, RecordError> {
        Ok(Runbook {
            services: non_blank_all("services", services)?,
            ..self.clone()
        })
    }

    /// A copy with these keywords, none blank.
    pub fn with_keywords(&self, keywords: Vec<String>) -> Result<Runbook, RecordError> {
        Ok(Runbook {
            keywords: non_blank_all("keywords", keywords)?,
            ..self.clone()
        })
    }

    /// The copy a tool returns, fit to `limits`: the first
    /// [`ToolLimits::max_runbook_steps`] steps (the caller reports the rest
    /// as a truncation); at most [`ToolLimits::max_list_items`] services and
    /// keywords, then an item `… [cut N items]`; and every text cut to
    /// [`ToolLimits::max_field_chars`], marked `… [cut N chars]`.
    /// Unchanged when everything fits.
    pub(crate) fn bounded(&self, limits: &ToolLimits) -> Runbook {
        let max_chars = limits.max_field_chars();
        let max_items = limits.max_list_items();
        Runbook {
            id: cut_text(&self.id, max_chars).into_owned(),
            title: cut_text(&self.title, max_chars).into_owned(),
            services: cut_list(&self.services, max_items, max_chars),
            keywords: cut_list(&self.keywords, max_items, max_chars),
            steps: self
                .steps
                .iter()
                .take(limits.max_runbook_steps())
                .map(|step| cut_text(step, max_chars).into_owned())
                .collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunbookRecord {
    id: String,
    title: String,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    steps: Vec<String>,
}

impl TryFrom<RunbookRecord> for Runbook {
    type Error = RecordError;

    fn try_from(record: RunbookRecord) -> Result<Runbook, RecordError> {
        Runbook::new(record.id, record.title, record.steps)?
            .with_services(record.services)?
            .with_keywords(record.keywords)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runbooks_round_trip_and_need_steps() {
        let json = r#"{"id":"rb-pool","title":"Connection pool exhausted","services":["checkout"],"keywords":["pool","timeout"],"steps":["Check pool metrics","Roll back"]}"#;
        let runbook: Runbook = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&runbook).unwrap(), json);
        let no_steps = r#"{"id":"rb","title":"t","steps":[]}"#;
        let error = serde_json::from_str::<Runbook>(no_steps).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`steps` must list at least one item"),
            "{error}"
        );
        let blank_keyword = r#"{"id":"rb","title":"t","keywords":[" "],"steps":["x"]}"#;
        let error = serde_json::from_str::<Runbook>(blank_keyword).unwrap_err();
        assert!(
            error.to_string().contains("`keywords` must not be empty"),
            "{error}"
        );
    }

    #[test]
    fn bounded_runbooks_keep_the_first_steps_and_cut_texts_and_lists() {
        let json = r#"{"id":"rb-pool","title":"Connection pool exhausted","services":["checkout","accounts","orders"],"keywords":["pool","timeout"],"steps":["Check pool metrics","Roll back","Page the owner"]}"#;
        let runbook: Runbook = serde_json::from_str(json).unwrap();
        assert_eq!(runbook.bounded(&ToolLimits::default()), runbook);
        let limits = ToolLimits::default()
            .with_max_runbook_steps(2)
            .unwrap()
            .with_max_list_items(2)
            .unwrap()
            .with_max_field_chars(9)
            .unwrap();
        assert_eq!(
            serde_json::to_value(runbook.bounded(&limits)).unwrap(),
            serde_json::json!({
                "id": "rb-pool",
                "title": "Connectio… [cut 16 chars]",
                "services": ["checkout", "accounts", "… [cut 1 items]"],
                "keywords": ["pool", "timeout"],
                "steps": ["Check poo… [cut 9 chars]", "Roll back"]
            })
        );
    }
}
