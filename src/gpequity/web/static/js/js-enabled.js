// Mark the page as scripted before it is drawn, as the NHS design system's page template does,
// so components styled for JavaScript do not flash their no-JavaScript layout first.
document.body.className +=
  " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
