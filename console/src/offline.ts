/**
 * The offline proof viewer: the console's proof viewer on its own, built into one
 * self-contained HTML file (`proof-viewer.html`) that works opened from disk, with no server.
 */
import "../../playground/src/shared/views.css";
import "./style.css";
import { renderProofViewer } from "./proof-page.js";

const page = document.getElementById("page");
if (page !== null) renderProofViewer(page);
document.body.dataset.ready = "true";
