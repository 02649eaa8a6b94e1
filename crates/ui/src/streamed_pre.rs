//! [`StreamedPre`]: a `<pre>` that shows a [`StreamedText`] by appending each new part to a text
//! node, instead of setting the whole text again at every token (which copies, lays out and
//! re-renders the branch so far: quadratic in its length). Model output only becomes text nodes.

use leptos::html::Pre;
use leptos::prelude::*;

use crate::streamed_text::StreamedText;

/// A text node takes appends until it holds this many bytes; then the next part starts a new one.
/// The browser copies a text node's content on every append, so a long branch is spread over
/// nodes of this size and a token never copies more than this, whatever the branch's length.
const NODE_BYTES: usize = 16 * 1024;

/// What the element shows so far.
struct Shown {
    /// The text's revision it shows.
    revision: u32,
    /// How many bytes of it.
    bytes: usize,
    /// The text node taking appends, and the bytes in it.
    last: Option<(web_sys::Text, usize)>,
}

/// A `<pre>` with `class` showing `text` as it streams.
#[component]
pub fn StreamedPre(
    /// The element's class.
    class: &'static str,
    /// The text to show.
    text: RwSignal<StreamedText>,
) -> impl IntoView {
    let pre = NodeRef::<Pre>::new();
    Effect::new(move |shown: Option<Option<Shown>>| {
        let element = pre.get()?;
        text.try_with(|text| show(&element, text, shown.flatten())).flatten()
    });
    view! { <pre class=class node_ref=pre></pre> }
}

/// Brings `pre` from what it showed (`shown`) to `text`: appends what is new, or starts over when
/// the text was replaced.
fn show(pre: &web_sys::HtmlElement, text: &StreamedText, shown: Option<Shown>) -> Option<Shown> {
    let all = text.as_str();
    let mut shown = match shown {
        Some(shown) if shown.revision == text.revision() && shown.bytes <= all.len() => shown,
        _ => {
            pre.set_text_content(None);
            Shown { revision: text.revision(), bytes: 0, last: None }
        }
    };
    // Within one revision the text only grows, so `bytes` is a character boundary.
    let new = all.get(shown.bytes..).unwrap_or_default();
    if !new.is_empty() {
        append(pre, &mut shown, new)?;
        shown.bytes = all.len();
    }
    Some(shown)
}

/// Appends `new` to the last text node, or to a new one once the last is full.
fn append(pre: &web_sys::HtmlElement, shown: &mut Shown, new: &str) -> Option<()> {
    match &mut shown.last {
        Some((node, used)) if *used < NODE_BYTES => {
            node.append_data(new).ok()?;
            *used += new.len();
        }
        _ => {
            let node = pre.owner_document()?.create_text_node(new);
            pre.append_child(&node).ok()?;
            shown.last = Some((node, new.len()));
        }
    }
    Some(())
}
