//! Record kinds described as data: table name, columns, indexes, references.
//!
//! The core describes every record kind once, here, and every adapter maps every kind with one
//! generic piece of code: the SQL adapter turns a [`Kind`] into a relational table with real
//! columns and constraints, the sled adapter into a tree plus index trees, the memory store into
//! maps. A new record kind costs a description, not a change to every adapter.

use super::value::ColumnType;

/// What happens to a referencing record when the record it points to is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// The referencing record belongs to the target (a contact to its customer) and is deleted
    /// with it, by the core, in the same commit.
    Cascade,
    /// The reference keeps the target alive: the core archives the target instead of deleting it.
    Restrict,
    /// A historical mention (the audit log): neither blocks nor follows a delete.
    Keep,
}

/// A column that holds the id of another record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    /// Name of the referenced kind.
    pub kind: &'static str,
    /// Delete behaviour.
    pub on_delete: OnDelete,
}

/// One column of a record kind. Every kind also has the implicit columns `id` (the primary
/// key, an [`ColumnType::Id`]) and `version` (an integer, 1 on creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Column name (snake case; also the SQL column name).
    pub name: &'static str,
    /// Column type.
    pub ty: ColumnType,
    /// Whether the column may hold `Null`.
    pub nullable: bool,
    /// Set when the column references another record.
    pub references: Option<Reference>,
}

impl Column {
    /// A required column.
    pub const fn new(name: &'static str, ty: ColumnType) -> Self {
        Column {
            name,
            ty,
            nullable: false,
            references: None,
        }
    }

    /// An optional column.
    pub const fn nullable(name: &'static str, ty: ColumnType) -> Self {
        Column {
            name,
            ty,
            nullable: true,
            references: None,
        }
    }

    /// Marks the column as a reference to `kind`.
    pub const fn refs(mut self, kind: &'static str, on_delete: OnDelete) -> Self {
        self.references = Some(Reference { kind, on_delete });
        self
    }
}

/// A secondary index. A unique index is a rule of the domain that every adapter enforces at
/// commit, also between concurrent writers. As in SQL, a key with a `Null` column never
/// conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// Index name, unique across all kinds (also the SQL index or constraint name).
    pub name: &'static str,
    /// Indexed columns, in key order.
    pub columns: &'static [&'static str],
    /// Whether the key is unique.
    pub unique: bool,
}

/// The description of one record kind.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// Kind name, also the table name.
    pub name: &'static str,
    /// Columns in storage order (without `id` and `version`).
    pub columns: &'static [Column],
    /// Secondary indexes.
    pub indexes: &'static [Index],
}

impl Kind {
    /// Position of a column in [`Kind::columns`].
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The index with this name.
    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }
}
