//! [`ToolDefinition`] and its exports for OpenAI function calling, Anthropic
//! tool use and MCP `tools/list`, plus [`schema_problems`], the strictness
//! check every registered schema must pass.
//!
//! One hand-written schema serves every export unchanged: a schema that is
//! valid for OpenAI `strict: true` is also valid for Anthropic and MCP.

use serde::Serialize;
use serde_json::{Value, json};

use crate::params::{base_type, is_nullable};

/// The property types the validator understands.
const SUPPORTED_TYPES: [&str; 4] = ["string", "integer", "number", "boolean"];

/// A tool's name, description and parameter schema, as exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolDefinition {
    name: String,
    description: String,
    parameters: Value,
}

impl ToolDefinition {
    /// A definition. The registry checks the name and schema on
    /// registration; this constructor does not.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
    ) -> ToolDefinition {
        ToolDefinition {
            name: name.into(),
            description: description.into(),
            parameters,
        }
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tool's description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The parameter schema.
    pub fn parameters(&self) -> &Value {
        &self.parameters
    }

    /// OpenAI function calling (Chat Completions `tools` entry), strict:
    /// `{"type": "function", "function": {"name", "description",
    /// "parameters", "strict": true}}`.
    pub fn to_openai(&self) -> Value {
        json!({
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
                "strict": true,
            }
        })
    }

    /// Anthropic tool use: `{"name", "description", "input_schema"}`.
    pub fn to_anthropic(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "input_schema": self.parameters,
        })
    }

    /// One entry of an MCP `tools/list` result:
    /// `{"name", "description", "inputSchema"}`.
    pub fn to_mcp(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "inputSchema": self.parameters,
        })
    }
}

/// Every way `schema` breaks OpenAI strict mode or leaves the subset the
/// parameter validator understands; empty when it is fine. The rules:
///
/// - the root is `{"type": "object", "properties": {...}, "required":
///   [...], "additionalProperties": false}` (plus an optional
///   `description`);
/// - `required` lists every property exactly once, and nothing else;
/// - each property has a non-empty `description` and a `type` that is one
///   of `string`, `integer`, `number`, `boolean`, or such a type paired with
///   `"null"` (`["string", "null"]`) for an optional property;
/// - `enum` only on strings, a non-empty list of strings that also holds
///   `null` exactly when the property is nullable;
/// - `minimum` and `maximum` only on numbers and integers; `format` only
///   `"date-time"` on strings; no other keywords (no `default`: strict mode
///   rejects it, so defaults are stated in descriptions).
///
/// Every registered tool's schema must pass it.
pub fn schema_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    object_problems("", schema, Nesting::Flat, &mut problems);
    problems
}

/// [`schema_problems`] for schemas that are exported but not validated by
/// the registry (the ending actions): the same rules, and a property may
/// also be a non-nullable `object` (following the root's rules, all the
/// way down) or an `array` whose `items` is such an object or a plain
/// property. OpenAI strict mode accepts both.
pub fn nested_schema_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    object_problems("", schema, Nesting::Nested, &mut problems);
    problems
}

/// Whether properties may be objects and arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nesting {
    Flat,
    Nested,
}

/// Checks the object schema at `path` (empty for the root, else the
/// property's dotted path, `[]` marking an array's items).
fn object_problems(path: &str, schema: &Value, nesting: Nesting, problems: &mut Vec<String>) {
    let at = if path.is_empty() {
        "the root".to_owned()
    } else {
        format!("property `{path}`")
    };
    // The root's messages read as they always have; nested ones say where.
    let located = |message: &str| {
        if path.is_empty() {
            message.to_owned()
        } else {
            format!("{at}: {message}")
        }
    };
    let Some(root) = schema.as_object() else {
        problems.push(located("the schema must be a JSON object"));
        return;
    };
    let prefix = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    for key in root.keys() {
        if ![
            "type",
            "properties",
            "required",
            "additionalProperties",
            "description",
        ]
        .contains(&key.as_str())
        {
            problems.push(format!("{at} has an unsupported keyword `{key}`"));
        }
    }
    if root.get("type") != Some(&json!("object")) {
        problems.push(format!("{at} `type` must be \"object\""));
    }
    if root.get("additionalProperties") != Some(&Value::Bool(false)) {
        problems.push(located("`additionalProperties` must be false"));
    }
    let empty = serde_json::Map::new();
    let properties = match root.get("properties") {
        Some(Value::Object(properties)) => properties,
        _ => {
            problems.push(located("`properties` must be an object"));
            &empty
        }
    };
    match root.get("required").and_then(Value::as_array) {
        Some(required) => {
            let names: Vec<&str> = required.iter().filter_map(Value::as_str).collect();
            if names.len() != required.len() {
                problems.push(located("`required` must list strings"));
            }
            for name in properties.keys() {
                match names.iter().filter(|listed| **listed == name).count() {
                    0 => problems.push(format!("property `{}` is not in `required`", prefix(name))),
                    1 => {}
                    _ => problems.push(format!(
                        "`required` lists `{}` more than once",
                        prefix(name)
                    )),
                }
            }
            for name in names {
                if !properties.contains_key(name) {
                    problems.push(format!(
                        "`required` lists `{}`, which is not a property",
                        prefix(name)
                    ));
                }
            }
        }
        None => problems.push(located("`required` must be an array")),
    }
    for (name, spec) in properties {
        property_problems(&prefix(name), spec, nesting, problems);
    }
}

fn property_problems(name: &str, spec: &Value, nesting: Nesting, problems: &mut Vec<String>) {
    let Some(object) = spec.as_object() else {
        problems.push(format!("property `{name}` must be a JSON object"));
        return;
    };
    if nesting == Nesting::Nested {
        match object.get("type").and_then(Value::as_str) {
            Some("object") => {
                description_problem(name, object, problems);
                let mut inner = object.clone();
                inner.remove("description");
                object_problems(name, &Value::Object(inner), nesting, problems);
                return;
            }
            Some("array") => {
                description_problem(name, object, problems);
                for key in object.keys() {
                    if !["type", "description", "items"].contains(&key.as_str()) {
                        problems.push(format!(
                            "property `{name}` has an unsupported keyword `{key}`"
                        ));
                    }
                }
                match object.get("items") {
                    Some(items) if items.get("type") == Some(&json!("object")) => {
                        object_problems(&format!("{name}[]"), items, nesting, problems);
                    }
                    Some(items) => {
                        let mut items = items.clone();
                        if let Some(fields) = items.as_object_mut() {
                            fields
                                .entry("description")
                                .or_insert_with(|| json!("an item"));
                        }
                        property_problems(&format!("{name}[]"), &items, Nesting::Flat, problems);
                    }
                    None => problems.push(format!("property `{name}` needs `items`")),
                }
                return;
            }
            _ => {}
        }
    }
    for key in object.keys() {
        if ![
            "type",
            "description",
            "enum",
            "minimum",
            "maximum",
            "format",
        ]
        .contains(&key.as_str())
        {
            problems.push(format!(
                "property `{name}` has an unsupported keyword `{key}`"
            ));
        }
    }
    description_problem(name, object, problems);
    let nullable = is_nullable(spec);
    let type_shape_ok = match object.get("type") {
        Some(Value::String(_)) => true,
        Some(Value::Array(types)) => {
            types.len() == 2 && types.iter().filter(|kind| *kind == "null").count() == 1
        }
        _ => false,
    };
    let kind = base_type(spec).filter(|kind| SUPPORTED_TYPES.contains(kind));
    let Some(kind) = kind.filter(|_| type_shape_ok) else {
        let nested = if nesting == Nesting::Nested {
            ", an object or an array"
        } else {
            ""
        };
        problems.push(format!(
            "property `{name}` needs a `type` of string, integer, number or boolean, optionally paired with \"null\"{nested}"
        ));
        return;
    };
    if let Some(values) = object.get("enum") {
        let strings = values
            .as_array()
            .map(|values| values.iter().filter(|value| value.is_string()).count())
            .unwrap_or(0);
        let nulls = values
            .as_array()
            .map(|values| values.iter().filter(|value| value.is_null()).count())
            .unwrap_or(0);
        let total = values.as_array().map(Vec::len).unwrap_or(0);
        if kind != "string" || strings == 0 || strings + nulls != total {
            problems.push(format!(
                "property `{name}` may have an `enum` only as a non-empty list of strings"
            ));
        }
        if nulls != usize::from(nullable) {
            problems.push(format!(
                "property `{name}`'s `enum` must hold null exactly when the property is nullable"
            ));
        }
    }
    for bound in ["minimum", "maximum"] {
        if let Some(value) = object.get(bound)
            && (!value.is_number() || !["integer", "number"].contains(&kind))
        {
            problems.push(format!(
                "property `{name}` may have a numeric `{bound}` only if it is a number or integer"
            ));
        }
    }
    if let Some(format) = object.get("format")
        && (kind != "string" || format != "date-time")
    {
        problems.push(format!(
            "property `{name}` may have only `format: \"date-time\"`, on a string"
        ));
    }
}

fn description_problem(
    name: &str,
    object: &serde_json::Map<String, Value>,
    problems: &mut Vec<String>,
) {
    match object.get("description").and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() => {}
        _ => problems.push(format!("property `{name}` needs a non-empty `description`")),
    }
}

#[cfg(test)]
mod tests {
    use insta::assert_json_snapshot;

    use super::*;
    use crate::registry::ToolRegistry;

    /// What `oncall-gym tools` exports: the diagnostic tools, then the
    /// ending actions.
    fn definitions() -> Vec<ToolDefinition> {
        let mut definitions = ToolRegistry::with_default_tools().definitions();
        definitions.extend(crate::ending::ending_definitions());
        definitions
    }

    #[test]
    fn openai_export() {
        let exported: Vec<Value> = definitions()
            .iter()
            .map(ToolDefinition::to_openai)
            .collect();
        assert_json_snapshot!("openai_tools", exported);
    }

    #[test]
    fn anthropic_export() {
        let exported: Vec<Value> = definitions()
            .iter()
            .map(ToolDefinition::to_anthropic)
            .collect();
        assert_json_snapshot!("anthropic_tools", exported);
    }

    #[test]
    fn mcp_export() {
        let exported: Vec<Value> = definitions().iter().map(ToolDefinition::to_mcp).collect();
        assert_json_snapshot!("mcp_tools_list", json!({ "tools": exported }));
    }

    #[test]
    fn every_default_schema_is_strict_valid() {
        for definition in ToolRegistry::with_default_tools().definitions() {
            let problems = schema_problems(definition.parameters());
            assert!(problems.is_empty(), "{}: {problems:?}", definition.name());
            // And independently of schema_problems, the three strict rules:
            let schema = definition.parameters();
            assert_eq!(schema["additionalProperties"], json!(false));
            let properties = schema["properties"].as_object().unwrap();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|name| name.as_str().unwrap())
                .collect();
            let names: Vec<&str> = properties.keys().map(String::as_str).collect();
            assert_eq!(required, names, "{}", definition.name());
            for (name, property) in properties {
                let optional =
                    !matches!((definition.name(), name.as_str()), ("metrics", "service"));
                if optional {
                    let types = property["type"].as_array().unwrap();
                    assert!(
                        types.contains(&json!("null")),
                        "{}.{name}",
                        definition.name()
                    );
                }
            }
        }
    }

    #[test]
    fn the_strictness_check_catches_each_rule() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": ["string", "null"], "description": "b", "enum": ["x"]},
                "c": {"type": ["integer", "null"], "description": "c", "default": 3},
                "d": {"type": "array", "description": "d"},
                "e": {"type": "string", "description": "e", "minimum": 1}
            },
            "required": ["a", "b", "z"]
        });
        let problems = schema_problems(&schema);
        let expected = [
            "`additionalProperties` must be false",
            "property `c` is not in `required`",
            "`required` lists `z`, which is not a property",
            "property `a` needs a non-empty `description`",
            "property `b`'s `enum` must hold null exactly when the property is nullable",
            "property `c` has an unsupported keyword `default`",
            "property `d` needs a `type` of string",
            "property `e` may have a numeric `minimum` only",
        ];
        for fragment in expected {
            assert!(
                problems.iter().any(|problem| problem.contains(fragment)),
                "missing {fragment:?} in {problems:#?}"
            );
        }
        assert_eq!(
            schema_problems(&json!([])),
            vec!["the schema must be a JSON object"]
        );
    }
}
