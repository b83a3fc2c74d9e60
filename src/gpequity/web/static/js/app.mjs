// Start the NHS design system's components (header menu, skip link, ...). Every page works
// without this script: it only improves what is already there.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();
