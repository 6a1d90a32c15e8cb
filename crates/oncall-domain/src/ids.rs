//! Typed identifiers. Each is a UUID, but an `IncidentId` cannot be passed
//! where a `RunId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::determinism::IdGenerator;

macro_rules! uuid_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> $name {
                $name(uuid)
            }

            /// Takes the next id from an injected generator.
            pub fn generate(ids: &dyn IdGenerator) -> $name {
                $name(ids.next_uuid())
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<$name, uuid::Error> {
                Uuid::parse_str(text).map($name)
            }
        }
    };
}

uuid_newtype!(
    /// Identifies an [`Incident`](crate::Incident).
    IncidentId
);
uuid_newtype!(
    /// Identifies an [`Observation`](crate::Observation).
    ObservationId
);
uuid_newtype!(
    /// Identifies a [`Hypothesis`](crate::Hypothesis) across its revisions.
    HypothesisId
);
uuid_newtype!(
    /// Identifies one run of an agent against an incident.
    RunId
);
uuid_newtype!(
    /// Identifies one tool invocation within a run.
    CallId
);
uuid_newtype!(
    /// Identifies one event in an audit log.
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::determinism::SequentialIdGenerator;

    #[test]
    fn ids_display_and_parse_as_uuids() {
        let ids = SequentialIdGenerator::new();
        let id = RunId::generate(&ids);
        assert_eq!(id.to_string(), "00000000-0000-0000-0000-000000000001");
        assert_eq!(id.to_string().parse::<RunId>().unwrap(), id);
        assert!("not-a-uuid".parse::<RunId>().is_err());
    }

    #[test]
    fn ids_serialise_as_plain_strings() {
        let id = CallId::from_uuid(Uuid::from_u128(7));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"00000000-0000-0000-0000-000000000007\"");
        assert_eq!(serde_json::from_str::<CallId>(&json).unwrap(), id);
    }
}
