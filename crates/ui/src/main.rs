//! The demo's entry (Trunk builds it from `index.html`): the whole app mounted on the page, and
//! `<thinkscale-run>` defined for pages that embed it.

#[cfg(target_arch = "wasm32")]
fn main() {
    thinkscale_ui::define_thinkscale_run();
    if let Some(root) = leptos::prelude::document().get_element_by_id("app") {
        use wasm_bindgen::JsCast;
        let root: web_sys::HtmlElement = root.unchecked_into();
        let handle = leptos::mount::mount_to(root, || leptos::view! { <thinkscale_ui::App/> });
        handle.forget();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "the demo runs in a browser: `scripts/demo` serves it (Trunk builds it from index.html)"
    );
}
