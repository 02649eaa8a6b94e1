//! # thinkscale-ui
//!
//! The live reasoning view: Leptos (CSR) components that show a run as it happens — every branch
//! streaming its text, the vote gathering, the budget filling, early and budget stops, failed and
//! pruned branches — plus the demo around them (question, strategy picker, provider settings,
//! compare two strategies, trace save/open/replay) and the embeds (`mount(element, options)`,
//! `<thinkscale-run>` in a shadow root). The engine runs in the page on the web glue
//! (`thinkscale-web`) that the npm package's API runs on too; model output is only ever rendered
//! as text.
//!
//! Built by Trunk from the repository's `index.html` (`src/main.rs` is the demo's entry).

#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod branch_view;
#[cfg(target_arch = "wasm32")]
pub mod budget_picker;
#[cfg(target_arch = "wasm32")]
pub mod charts;
#[cfg(target_arch = "wasm32")]
pub mod controls;
#[cfg(target_arch = "wasm32")]
pub mod conversation;
pub mod display_order;
#[cfg(target_arch = "wasm32")]
pub mod embed;
pub mod key_slot;
#[cfg(target_arch = "wasm32")]
pub mod live;
#[cfg(target_arch = "wasm32")]
pub mod provider_panel;
#[cfg(target_arch = "wasm32")]
pub mod run;
#[cfg(target_arch = "wasm32")]
pub mod strategy_picker;
pub mod strategy_settings;
#[cfg(target_arch = "wasm32")]
pub mod streamed_pre;
pub mod streamed_text;
#[cfg(target_arch = "wasm32")]
pub mod trace_panel;
#[cfg(target_arch = "wasm32")]
pub mod tree;

#[cfg(target_arch = "wasm32")]
pub use app::{App, Assets};
#[cfg(target_arch = "wasm32")]
pub use embed::{Mounted, define_thinkscale_run, mount};
#[cfg(target_arch = "wasm32")]
pub use live::LiveRun;
