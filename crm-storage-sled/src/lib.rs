//! sled storage adapter (in progress).
