//! What tokens cost: [`PriceTable`], built in for a few well-known models
//! and read from `--prices FILE` for the rest.
//!
//! A price file is one JSON object, US dollars per million tokens:
//!
//! ```json
//! {"gpt-4o": {"input": 2.5, "output": 10.0, "cached_input": 1.25},
//!  "llama3.1:8b": {"input": 0, "output": 0}}
//! ```
//!
//! `cached_input` (prompt-cache reads) defaults to `input`. A model's price
//! is the entry named exactly like it, else the longest entry its name
//! starts with (`gpt-4o-2024-08-06` takes `gpt-4o`'s). File entries replace
//! built-in ones. Anthropic's cache writes are priced as plain input.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use oncall_domain::ModelUsage;

use crate::error::LlmError;

/// The most bytes a price file may hold.
pub const MAX_PRICE_FILE_BYTES: u64 = 1024 * 1024;

/// The date the built-in prices were copied from the providers' price
/// pages; they change, so `--prices` overrides them.
pub const BUILT_IN_PRICES_AS_OF: &str = "2026-11";

/// One model's price, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// Input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Input tokens read from the prompt cache (defaults to `input`).
    #[serde(default)]
    pub cached_input: Option<f64>,
}

impl ModelPrice {
    /// The cost of `usage`, in US dollars.
    pub fn cost(&self, usage: &ModelUsage) -> f64 {
        let cached = usage.cached_tokens.min(usage.input_tokens);
        let fresh = usage.input_tokens - cached;
        let cached_price = self.cached_input.unwrap_or(self.input);
        (fresh as f64 * self.input
            + cached as f64 * cached_price
            + usage.output_tokens as f64 * self.output)
            / 1_000_000.0
    }
}

/// Prices by model name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriceTable {
    prices: BTreeMap<String, ModelPrice>,
}

impl PriceTable {
    /// The built-in prices (see [`BUILT_IN_PRICES_AS_OF`]).
    pub fn built_in() -> PriceTable {
        let entries: [(&str, f64, f64, f64); 15] = [
            ("gpt-4o", 2.50, 10.00, 1.25),
            ("gpt-4o-mini", 0.15, 0.60, 0.075),
            ("gpt-4.1", 2.00, 8.00, 0.50),
            ("gpt-4.1-mini", 0.40, 1.60, 0.10),
            ("gpt-4.1-nano", 0.10, 0.40, 0.025),
            ("gpt-5", 1.25, 10.00, 0.125),
            ("gpt-5-mini", 0.25, 2.00, 0.025),
            ("gpt-5-nano", 0.05, 0.40, 0.005),
            ("o4-mini", 1.10, 4.40, 0.275),
            ("claude-opus-4", 15.00, 75.00, 1.50),
            ("claude-opus-4-5", 5.00, 25.00, 0.50),
            ("claude-sonnet-4", 3.00, 15.00, 0.30),
            ("claude-haiku-4-5", 1.00, 5.00, 0.10),
            ("claude-3-5-haiku", 0.80, 4.00, 0.08),
            ("claude-3-7-sonnet", 3.00, 15.00, 0.30),
        ];
        PriceTable {
            prices: entries
                .into_iter()
                .map(|(name, input, output, cached)| {
                    (
                        name.to_owned(),
                        ModelPrice {
                            input,
                            output,
                            cached_input: Some(cached),
                        },
                    )
                })
                .collect(),
        }
    }

    /// The built-in prices with the entries of the file at `path` on top.
    pub fn built_in_with_file(path: &Path) -> Result<PriceTable, LlmError> {
        let error = |message: String| LlmError::Prices {
            path: path.to_owned(),
            message,
        };
        let size = std::fs::metadata(path)
            .map_err(|e| error(format!("could not read it: {e}")))?
            .len();
        if size > MAX_PRICE_FILE_BYTES {
            return Err(error(format!(
                "it is {size} bytes, more than {MAX_PRICE_FILE_BYTES}"
            )));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| error(format!("could not read it: {e}")))?;
        let mut table = PriceTable::built_in();
        table.merge_json(&text).map_err(error)?;
        Ok(table)
    }

    /// Adds (or replaces) the entries of a price file's text. The message
    /// names the line and column, or the model and field.
    pub fn merge_json(&mut self, text: &str) -> Result<(), String> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let entries: BTreeMap<String, ModelPrice> = serde_path_to_error_free(&mut deserializer)?;
        for (model, price) in entries {
            for (field, value) in [
                ("input", Some(price.input)),
                ("output", Some(price.output)),
                ("cached_input", price.cached_input),
            ] {
                if let Some(value) = value
                    && !(value.is_finite() && value >= 0.0)
                {
                    return Err(format!(
                        "`{model}`.`{field}` must be a price of 0 or more, got {value}"
                    ));
                }
            }
            self.prices.insert(model, price);
        }
        Ok(())
    }

    /// The price of `model`: its own entry, or the longest entry it starts
    /// with.
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        if let Some(price) = self.prices.get(model) {
            return Some(price);
        }
        self.prices
            .iter()
            .filter(|(name, _)| model.starts_with(name.as_str()))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, price)| price)
    }

    /// The cost of `usage` by `model`, or `None` when its price is unknown.
    pub fn cost(&self, model: &str, usage: &ModelUsage) -> Option<f64> {
        self.price(model).map(|price| price.cost(usage))
    }

    /// Every entry, by name.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &ModelPrice)> {
        self.prices
            .iter()
            .map(|(name, price)| (name.as_str(), price))
    }
}

/// Reads the price map, naming the line and column of a syntax error and
/// the model of a bad entry.
fn serde_path_to_error_free(
    deserializer: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
) -> Result<BTreeMap<String, ModelPrice>, String> {
    let entries = BTreeMap::<String, ModelPrice>::deserialize(&mut *deserializer)
        .map_err(|error| error.to_string())?;
    deserializer.end().map_err(|error| error.to_string())?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, cached: u64, output: u64) -> ModelUsage {
        ModelUsage {
            model_calls: 1,
            input_tokens: input,
            output_tokens: output,
            cached_tokens: cached,
        }
    }

    #[test]
    fn costs_count_cached_input_at_its_own_price() {
        let table = PriceTable::built_in();
        let cost = table
            .cost("gpt-4o", &usage(1_000_000, 400_000, 100_000))
            .unwrap();
        // 600k × 2.50 + 400k × 1.25 + 100k × 10.00, per million.
        assert!((cost - (1.5 + 0.5 + 1.0)).abs() < 1e-9, "{cost}");
        assert_eq!(table.cost("my-local-model", &usage(1, 0, 1)), None);
    }

    #[test]
    fn the_longest_prefix_names_the_price() {
        let table = PriceTable::built_in();
        assert_eq!(table.price("gpt-4o-2024-08-06"), table.price("gpt-4o"));
        assert_eq!(table.price("gpt-4o-mini-2024-07-18").unwrap().input, 0.15);
        assert_eq!(
            table.price("claude-sonnet-4-5-20250929").unwrap().output,
            15.0
        );
        assert_eq!(table.price("claude-opus-4-5").unwrap().input, 5.0);
        assert_eq!(table.price("claude-opus-4-1-20250805").unwrap().input, 15.0);
    }

    #[test]
    fn a_price_file_adds_and_replaces_and_bad_ones_are_named() {
        let mut table = PriceTable::built_in();
        table
            .merge_json(r#"{"gpt-4o": {"input": 1, "output": 2}, "llama3.1:8b": {"input": 0, "output": 0}}"#)
            .unwrap();
        assert_eq!(table.price("gpt-4o").unwrap().cached_input, None);
        assert_eq!(table.cost("llama3.1:8b", &usage(100, 0, 100)), Some(0.0));
        let error = table.merge_json("{\"m\": {\"input\": 1}}").unwrap_err();
        assert!(
            error.contains("output") && error.contains("line 1"),
            "{error}"
        );
        let error = table
            .merge_json("{\"m\": {\"input\": -1, \"output\": 1}}")
            .unwrap_err();
        assert!(error.contains("`m`.`input`"), "{error}");
        let error = table
            .merge_json("{\"m\": {\"input\": 1, \"output\": 1, \"extra\": 1}}")
            .unwrap_err();
        assert!(error.contains("extra"), "{error}");
        let error = table.merge_json("{} x").unwrap_err();
        assert!(error.contains("trailing"), "{error}");
    }
}
