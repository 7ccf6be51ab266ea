//! Macros shared by the record modules.

/// Declares an enum of stored names: `as_str`, `parse` (an unknown name is
/// [`crate::Error::Invalid`] on the given field) and `ALL`.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* $v),+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }

            /// Parses a stored name.
            ///
            /// # Errors
            /// [`Error::Invalid`] for an unknown name.
            pub fn parse(s: &str) -> $crate::error::Result<Self> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::error::Error::invalid($field, format!("unknown {} {s:?}", $field)))
            }
        }
    };
}
