// The docs page's script (a file, not inline: the page runs under a Content-Security-Policy that
// allows scripts from its own origin only). The demo's module defines <thinkscale-run> when it
// starts, and exports mount().
import init, { mount } from "../thinkscale-demo.js";

await init();
const handle = mount(document.getElementById("mounted"), { traceUrl: "trace.json", speed: 0 });
document.getElementById("unmount").addEventListener("click", () => { handle.unmount(); handle.free(); });
