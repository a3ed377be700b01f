//! The table's schema, written once: `lifeline table create` builds the
//! table from it, and a test holds `template.yaml`'s table to it.

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus,
    TimeToLiveSpecification,
};
use std::time::Duration as StdDuration;

use lifeline_app::ports::StoreError;

use super::keys::{AVAILABLE_INDEX, INCIDENTS_INDEX, TTL_ATTRIBUTE};
use super::store::{unavailable, DynamoStore};

/// A table's shape, in CloudFormation's words.
#[derive(Debug, Clone, Copy)]
pub struct TableSchema {
    pub billing_mode: &'static str,
    /// Attribute name and type (`S`, `N`) of every key attribute.
    pub attributes: &'static [(&'static str, &'static str)],
    /// Attribute name and key type (`HASH`, `RANGE`).
    pub key: &'static [(&'static str, &'static str)],
    pub indexes: &'static [IndexSchema],
    pub stream_view: &'static str,
    pub ttl_attribute: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct IndexSchema {
    pub name: &'static str,
    pub key: &'static [(&'static str, &'static str)],
    pub projection: &'static str,
}

/// Lifeline's one table: items keyed `pk`/`sk`, the `available` index
/// that lists each country's numbers by when they may next be leased, and
/// the `incidents` index that lists incidents by state and opening time.
pub const SCHEMA: TableSchema = TableSchema {
    billing_mode: "PAY_PER_REQUEST",
    attributes: &[
        ("pk", "S"),
        ("sk", "S"),
        ("poolCountry", "S"),
        ("availableAt", "N"),
        ("incidentState", "S"),
        ("openedAt", "S"),
    ],
    key: &[("pk", "HASH"), ("sk", "RANGE")],
    indexes: &[
        IndexSchema {
            name: AVAILABLE_INDEX,
            key: &[("poolCountry", "HASH"), ("availableAt", "RANGE")],
            projection: "KEYS_ONLY",
        },
        // Sparse: only incident heads carry its keys. ALL: a listing shows
        // the heads without reading each (they are small).
        IndexSchema {
            name: INCIDENTS_INDEX,
            key: &[("incidentState", "HASH"), ("openedAt", "RANGE")],
            projection: "ALL",
        },
    ],
    stream_view: "NEW_AND_OLD_IMAGES",
    ttl_attribute: TTL_ATTRIBUTE,
};

impl TableSchema {
    /// The schema as the properties of an `AWS::DynamoDB::Table` in
    /// `template.yaml` (indented as there).
    pub fn cloudformation(&self) -> String {
        let mut y = format!(
            "      BillingMode: {}\n      AttributeDefinitions:\n",
            self.billing_mode
        );
        for (name, kind) in self.attributes {
            y += &format!("        - AttributeName: {name}\n          AttributeType: {kind}\n");
        }
        y += "      KeySchema:\n";
        for (name, kind) in self.key {
            y += &format!("        - AttributeName: {name}\n          KeyType: {kind}\n");
        }
        y += "      GlobalSecondaryIndexes:\n";
        for index in self.indexes {
            y += &format!(
                "        - IndexName: {}\n          KeySchema:\n",
                index.name
            );
            for (name, kind) in index.key {
                y += &format!(
                    "            - AttributeName: {name}\n              KeyType: {kind}\n"
                );
            }
            y += &format!(
                "          Projection:\n            ProjectionType: {}\n",
                index.projection
            );
        }
        y += &format!(
            "      StreamSpecification:\n        StreamViewType: {}\n",
            self.stream_view
        );
        y += &format!(
            "      TimeToLiveSpecification:\n        AttributeName: {}\n        Enabled: true\n",
            self.ttl_attribute
        );
        y
    }
}

fn key_schema(key: &[(&str, &str)]) -> Result<Vec<KeySchemaElement>, BuildError> {
    key.iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(*name)
                .key_type(KeyType::from(*kind))
                .build()
        })
        .collect()
}

impl DynamoStore {
    /// Creates the table from [`SCHEMA`] if missing; `true` if created.
    pub async fn create_table(&self) -> Result<bool, StoreError> {
        let build_err = |e: BuildError| StoreError::Unavailable(e.to_string());
        let attributes = SCHEMA
            .attributes
            .iter()
            .map(|(name, kind)| {
                AttributeDefinition::builder()
                    .attribute_name(*name)
                    .attribute_type(ScalarAttributeType::from(*kind))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(build_err)?;
        let indexes = SCHEMA
            .indexes
            .iter()
            .map(|i| {
                GlobalSecondaryIndex::builder()
                    .index_name(i.name)
                    .set_key_schema(Some(key_schema(i.key)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(i.projection))
                            .build(),
                    )
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(build_err)?;
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::from(SCHEMA.billing_mode))
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(key_schema(SCHEMA.key).map_err(build_err)?))
            .set_global_secondary_indexes(Some(indexes))
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(SCHEMA.stream_view))
                    .build()
                    .map_err(build_err)?,
            )
            .send()
            .await;
        let created = match created {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) =>
            {
                false
            }
            Err(e) => return Err(unavailable(e)),
        };
        for _ in 0..120 {
            let d = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(unavailable)?;
            if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(250)).await;
        }
        if created {
            self.client
                .update_time_to_live()
                .table_name(&self.table)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .enabled(true)
                        .attribute_name(SCHEMA.ttl_attribute)
                        .build()
                        .map_err(build_err)?,
                )
                .send()
                .await
                .map_err(unavailable)?;
        }
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_table_is_the_schema() {
        let template = include_str!("../../../../../template.yaml");
        let start = template
            .find("    Type: AWS::DynamoDB::Table")
            .expect("template.yaml has the table");
        let table = &template[start..];
        let table = &table[..table.find("\n  # ----").unwrap_or(table.len())];
        let expected = SCHEMA.cloudformation();
        assert!(
            table.contains(&expected),
            "template.yaml's table differs from the schema in Rust:\n{expected}"
        );
    }

    #[test]
    fn every_key_attribute_is_defined_once() {
        let defined: Vec<&str> = SCHEMA.attributes.iter().map(|(n, _)| *n).collect();
        let keys = SCHEMA
            .key
            .iter()
            .chain(SCHEMA.indexes.iter().flat_map(|i| i.key.iter()));
        for (name, _) in keys {
            assert_eq!(defined.iter().filter(|d| *d == name).count(), 1, "{name}");
        }
    }
}
