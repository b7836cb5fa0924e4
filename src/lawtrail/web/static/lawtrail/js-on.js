// Loaded in <head>: the page knows scripts run (the side navigation becomes an offcanvas on a
// phone only then; without scripts it is a plain list under the top bar).
document.documentElement.classList.replace("no-js", "js");
