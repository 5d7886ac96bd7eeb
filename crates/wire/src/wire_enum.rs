//! Wire enumerations as open newtypes.

/// Declares a wire enumeration as a newtype over an integer, with named constants.
///
/// Unknown values are ordinary values: they round-trip, compare and hash like known ones.
/// `Debug` and `Display` print the name when the value is known and the hex value otherwise;
/// [`name`](#method.name) returns `None` for unknown values.
///
/// ```
/// rtcscope_wire::wire_enum! {
///     /// An example.
///     pub struct Colour(u8) {
///         /// Red.
///         RED = 1 => "red",
///         /// Green.
///         GREEN = 2 => "green",
///     }
/// }
/// assert_eq!(format!("{:?}", Colour::RED), "red");
/// assert_eq!(format!("{:?}", Colour(9)), "0x09");
/// assert_eq!(Colour(2), Colour::GREEN);
/// assert_eq!(Colour(9).name(), None);
/// ```
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($int:ty) {
            $( $(#[$cmeta:meta])* $cname:ident = $value:expr => $text:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        $vis struct $name(pub $int);

        #[allow(missing_docs)]
        impl $name {
            $( $(#[$cmeta])* pub const $cname: $name = $name($value); )*

            /// Every named value, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$cname),*];

            /// The registered name of this value, or `None` when it is not a known value.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( v if v == $value => Some($text), )*
                    _ => None,
                }
            }

            /// True when this is one of the named values.
            pub const fn is_known(self) -> bool {
                self.name().is_some()
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "0x{:0width$x}", self.0, width = ::core::mem::size_of::<$int>() * 2),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(self, f)
            }
        }

        impl ::core::convert::From<$int> for $name {
            fn from(v: $int) -> Self {
                $name(v)
            }
        }

        impl ::core::convert::From<$name> for $int {
            fn from(v: $name) -> Self {
                v.0
            }
        }
    };
}
