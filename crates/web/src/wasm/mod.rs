//! The wasm32 half: models that call JavaScript or `fetch`, the clock, and the conversions and
//! errors at the boundary.

mod builtin;
mod clock;
mod convert;
mod failure;
mod js_model;
mod provider;

pub use builtin::BuiltinLoader;
pub use clock::JsClock;
pub use convert::{from_js, json_of, to_js};
pub use failure::{abort_error, failure_to_js};
pub use provider::provider_model;
