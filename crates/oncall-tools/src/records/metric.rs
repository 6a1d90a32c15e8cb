//! [`MetricSeries`] and [`MetricPoint`].

use oncall_domain::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::RecordError;
use crate::records::non_blank;
use crate::window::TimeWindow;

/// One sample: a time and a finite value.
///
/// JSON: `{"timestamp", "value"}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MetricPointRecord")]
pub struct MetricPoint {
    timestamp: Timestamp,
    value: f64,
}

impl MetricPoint {
    /// A point. `value` must be finite.
    pub fn new(timestamp: Timestamp, value: f64) -> Result<MetricPoint, RecordError> {
        if !value.is_finite() {
            return Err(RecordError::NotFinite {
                field: "value",
                value,
            });
        }
        Ok(MetricPoint { timestamp, value })
    }

    /// When it was sampled.
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    /// The value, always finite.
    pub fn value(&self) -> f64 {
        self.value
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricPointRecord {
    timestamp: Timestamp,
    value: f64,
}

impl TryFrom<MetricPointRecord> for MetricPoint {
    type Error = RecordError;

    fn try_from(record: MetricPointRecord) -> Result<MetricPoint, RecordError> {
        MetricPoint::new(record.timestamp, record.value)
    }
}

/// One metric of one service over time, e.g. `checkout` /
/// `latency_p99_ms` / `ms`. The points are kept sorted by time (a stable
/// sort on construction, so authors may write them in any order).
///
/// JSON: `{"service", "name", "unit"?, "points": [{"timestamp", "value"}]}`.
/// `unit` may be left out (empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MetricSeriesRecord")]
pub struct MetricSeries {
    service: String,
    name: String,
    unit: String,
    points: Vec<MetricPoint>,
}

impl MetricSeries {
    /// A series. `service` and `name` must not be blank; `unit` may be empty.
    pub fn new(
        service: impl Into<String>,
        name: impl Into<String>,
        unit: impl Into<String>,
        mut points: Vec<MetricPoint>,
    ) -> Result<MetricSeries, RecordError> {
        points.sort_by_key(MetricPoint::timestamp);
        Ok(MetricSeries {
            service: non_blank("service", service.into())?,
            name: non_blank("name", name.into())?,
            unit: unit.into().trim().to_owned(),
            points,
        })
    }

    /// The service measured.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The metric's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The unit, e.g. `ms`; may be empty.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// Every point, oldest first.
    pub fn points(&self) -> &[MetricPoint] {
        &self.points
    }

    /// The points inside `window` (edges inclusive), oldest first, found by
    /// binary search.
    pub fn points_in(&self, window: &TimeWindow) -> &[MetricPoint] {
        window.slice(&self.points, MetricPoint::timestamp)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricSeriesRecord {
    service: String,
    name: String,
    #[serde(default)]
    unit: String,
    points: Vec<MetricPoint>,
}

impl TryFrom<MetricSeriesRecord> for MetricSeries {
    type Error = RecordError;

    fn try_from(record: MetricSeriesRecord) -> Result<MetricSeries, RecordError> {
        MetricSeries::new(record.service, record.name, record.unit, record.points)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn points_are_sorted_and_sliced_by_window() {
        let json = r#"{"service":"db","name":"connections","points":[
            {"timestamp":"2026-11-25T12:02:00Z","value":3},
            {"timestamp":"2026-11-25T12:00:00Z","value":1},
            {"timestamp":"2026-11-25T12:01:00Z","value":2.5}]}"#;
        let series: MetricSeries = serde_json::from_str(json).unwrap();
        assert_eq!(series.unit(), "");
        let values: Vec<f64> = series.points().iter().map(MetricPoint::value).collect();
        assert_eq!(values, vec![1.0, 2.5, 3.0]);
        let at = |minute| Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap();
        let window = TimeWindow::new(at(1), at(2)).unwrap();
        assert_eq!(series.points_in(&window).len(), 2);
        let written = serde_json::to_string(&series).unwrap();
        assert_eq!(
            serde_json::from_str::<MetricSeries>(&written).unwrap(),
            series
        );
    }

    #[test]
    fn non_finite_values_and_blank_names_are_rejected() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(
            MetricPoint::new(at, f64::NAN).unwrap_err().to_string(),
            "`value` must be a finite number, got NaN"
        );
        assert!(MetricSeries::new("db", " ", "ms", Vec::new()).is_err());
        let string_value = r#"{"service":"db","name":"x","points":[{"timestamp":"2026-11-25T12:00:00Z","value":"1"}]}"#;
        assert!(serde_json::from_str::<MetricSeries>(string_value).is_err());
    }
}
