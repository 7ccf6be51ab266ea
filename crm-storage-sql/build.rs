//! Rebuilds the crate when a migration changes: `sqlx::migrate!` embeds the migration files at
//! compile time, and Cargo does not otherwise know that it reads them.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
