//! [`Deploy`] and [`DeployStatus`].

use std::fmt;
use std::str::FromStr;

use oncall_domain::Timestamp;
use serde::{Deserialize, Serialize};

use crate::context::ToolLimits;
use crate::error::RecordError;
use crate::records::{cut_text, non_blank};

/// How a deploy went. Written snake_case in JSON; parsed case-insensitively.
/// `Succeeded` is the default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum DeployStatus {
    /// Still rolling out.
    InProgress,
    /// Rolled out. The default.
    #[default]
    Succeeded,
    /// Failed to roll out.
    Failed,
    /// Rolled out, then rolled back.
    RolledBack,
}

impl DeployStatus {
    /// Every status.
    pub const ALL: [DeployStatus; 4] = [
        DeployStatus::InProgress,
        DeployStatus::Succeeded,
        DeployStatus::Failed,
        DeployStatus::RolledBack,
    ];

    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DeployStatus::InProgress => "in_progress",
            DeployStatus::Succeeded => "succeeded",
            DeployStatus::Failed => "failed",
            DeployStatus::RolledBack => "rolled_back",
        }
    }
}

impl fmt::Display for DeployStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeployStatus {
    type Err = RecordError;

    /// Parses case-insensitively, ignoring surrounding whitespace.
    fn from_str(text: &str) -> Result<DeployStatus, RecordError> {
        let wanted = text.trim();
        DeployStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| RecordError::UnknownValue {
                field: "status",
                value: text.to_owned(),
                expected: "in_progress, succeeded, failed, rolled_back",
            })
    }
}

impl TryFrom<String> for DeployStatus {
    type Error = RecordError;

    fn try_from(text: String) -> Result<DeployStatus, RecordError> {
        text.parse()
    }
}

/// One deploy of one service.
///
/// JSON: `{"id", "service", "version", "previous_version"?, "deployed_at",
/// "author"?, "change_summary"?, "status"?}`. Left-out optional fields are
/// `null`, `""`, `""` and `succeeded`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DeployRecord")]
pub struct Deploy {
    id: String,
    service: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_version: Option<String>,
    deployed_at: Timestamp,
    #[serde(skip_serializing_if = "String::is_empty")]
    author: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    change_summary: String,
    status: DeployStatus,
}

impl Deploy {
    /// A succeeded deploy with no previous version, author or summary; add
    /// them with the `with_*` methods. `id`, `service` and `version` must not
    /// be blank.
    pub fn new(
        id: impl Into<String>,
        service: impl Into<String>,
        version: impl Into<String>,
        deployed_at: Timestamp,
    ) -> Result<Deploy, RecordError> {
        Ok(Deploy {
            id: non_blank("id", id.into())?,
            service: non_blank("service", service.into())?,
            version: non_blank("version", version.into())?,
            previous_version: None,
            deployed_at,
            author: String::new(),
            change_summary: String::new(),
            status: DeployStatus::default(),
        })
    }

    /// The deploy's id, unique within a data source.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The service deployed.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The version deployed.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The version it replaced, if known.
    pub fn previous_version(&self) -> Option<&str> {
        self.previous_version.as_deref()
    }

    /// When it was deployed.
    pub fn deployed_at(&self) -> Timestamp {
        self.deployed_at
    }

    /// Who deployed it; may be empty.
    pub fn author(&self) -> &str {
        &self.author
    }

    /// What changed; may be empty.
    pub fn change_summary(&self) -> &str {
        &self.change_summary
    }

    /// How it went.
    pub fn status(&self) -> DeployStatus {
        self.status
    }

    /// A copy with a previous version, which must not be blank.
    pub fn with_previous_version(
        &self,
        previous_version: impl Into<String>,
    ) -> Result<Deploy, RecordError> {
        Ok(Deploy {
            previous_version: Some(non_blank("previous_version", previous_version.into())?),
            ..self.clone()
        })
    }

    /// A copy with an author.
    pub fn with_author(&self, author: impl Into<String>) -> Deploy {
        Deploy {
            author: author.into().trim().to_owned(),
            ..self.clone()
        }
    }

    /// A copy with a change summary.
    pub fn with_change_summary(&self, change_summary: impl Into<String>) -> Deploy {
        Deploy {
            change_summary: change_summary.into().trim().to_owned(),
            ..self.clone()
        }
    }

    /// A copy with a status.
    pub fn with_status(&self, status: DeployStatus) -> Deploy {
        Deploy {
            status,
            ..self.clone()
        }
    }

    /// The copy a tool returns, fit to `limits`: every text (id, service,
    /// versions, author, change summary) cut to
    /// [`ToolLimits::max_field_chars`] and marked `… [cut N chars]`.
    /// Unchanged when everything fits.
    pub(crate) fn bounded(&self, limits: &ToolLimits) -> Deploy {
        let cut = |text: &str| cut_text(text, limits.max_field_chars()).into_owned();
        Deploy {
            id: cut(&self.id),
            service: cut(&self.service),
            version: cut(&self.version),
            previous_version: self.previous_version.as_deref().map(cut),
            deployed_at: self.deployed_at,
            author: cut(&self.author),
            change_summary: cut(&self.change_summary),
            status: self.status,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeployRecord {
    id: String,
    service: String,
    version: String,
    #[serde(default)]
    previous_version: Option<String>,
    deployed_at: Timestamp,
    #[serde(default)]
    author: String,
    #[serde(default)]
    change_summary: String,
    #[serde(default)]
    status: DeployStatus,
}

impl TryFrom<DeployRecord> for Deploy {
    type Error = RecordError;

    fn try_from(record: DeployRecord) -> Result<Deploy, RecordError> {
        let deploy = Deploy::new(
            record.id,
            record.service,
            record.version,
            record.deployed_at,
        )?
        .with_author(record.author)
        .with_change_summary(record.change_summary)
        .with_status(record.status);
        match record.previous_version {
            Some(previous) => deploy.with_previous_version(previous),
            None => Ok(deploy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploys_round_trip_and_optional_fields_default() {
        let json = r#"{"id":"d-1","service":"checkout","version":"v2","deployed_at":"2026-11-25T11:40:00Z"}"#;
        let deploy: Deploy = serde_json::from_str(json).unwrap();
        assert_eq!(deploy.status(), DeployStatus::Succeeded);
        assert_eq!(deploy.previous_version(), None);
        assert_eq!(
            serde_json::to_string(&deploy).unwrap(),
            r#"{"id":"d-1","service":"checkout","version":"v2","deployed_at":"2026-11-25T11:40:00Z","status":"succeeded"}"#
        );
        let full = r#"{"id":"d-2","service":"checkout","version":"v3","previous_version":"v2","deployed_at":"2026-11-25T11:50:00Z","author":"ana","change_summary":"pool size 50 -> 5","status":"Rolled_Back"}"#;
        let deploy: Deploy = serde_json::from_str(full).unwrap();
        assert_eq!(deploy.status(), DeployStatus::RolledBack);
        let written = serde_json::to_string(&deploy).unwrap();
        assert_eq!(serde_json::from_str::<Deploy>(&written).unwrap(), deploy);
    }

    #[test]
    fn bounded_deploys_cut_every_text_and_keep_the_rest() {
        let at = "2026-11-25T11:40:00Z".parse().unwrap();
        let deploy = Deploy::new("d-1", "checkout", "v41", at)
            .unwrap()
            .with_previous_version("v40")
            .unwrap()
            .with_author("ana")
            .with_change_summary("connection pool size 50 -> 5")
            .with_status(DeployStatus::Failed);
        assert_eq!(deploy.bounded(&ToolLimits::default()), deploy);
        let limits = ToolLimits::default().with_max_field_chars(3).unwrap();
        let bounded = deploy.bounded(&limits);
        assert_eq!(
            (
                bounded.id(),
                bounded.service(),
                bounded.version(),
                bounded.previous_version(),
                bounded.author(),
                bounded.change_summary()
            ),
            (
                "d-1",
                "che… [cut 5 chars]",
                "v41",
                Some("v40"),
                "ana",
                "con… [cut 25 chars]"
            )
        );
        assert_eq!(
            (bounded.deployed_at(), bounded.status()),
            (at, DeployStatus::Failed)
        );
    }

    #[test]
    fn bad_deploys_name_the_field() {
        let status = r#"{"id":"d","service":"s","version":"v","deployed_at":"2026-11-25T11:40:00Z","status":"done"}"#;
        let error = serde_json::from_str::<Deploy>(status).unwrap_err();
        assert!(error.to_string().contains("`status` is `done`"), "{error}");
        let previous = r#"{"id":"d","service":"s","version":"v","previous_version":"","deployed_at":"2026-11-25T11:40:00Z"}"#;
        let error = serde_json::from_str::<Deploy>(previous).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`previous_version` must not be empty"),
            "{error}"
        );
    }
}
