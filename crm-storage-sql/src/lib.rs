//! SQL storage adapter (in progress).
