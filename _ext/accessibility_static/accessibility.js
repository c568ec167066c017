/* Accessibility repairs that need the page's own scripts to have run first (_ext/accessibility.py
 * says what else is repaired, and where). Attributes only: nothing here changes what a sighted
 * reader sees. */
(function () {
  "use strict";

  /* sphinx-togglebutton adds one button per solution, after the page has loaded, and names every
   * one "Toggle hidden content". A screen reader then announces a row of identical buttons; each
   * is named here after its own title instead ("Solution to Exercise 4.1"), and its state is in
   * aria-expanded, which sphinx-togglebutton keeps up to date. */
  function nameToggleButtons() {
    document.querySelectorAll(".admonition.toggle > .admonition-title > button.toggle-button")
      .forEach(function (button) {
        var title = button.parentElement.textContent.replace(/\s+/g, " ").trim();
        if (title) button.setAttribute("aria-label", title);
      });
  }

  /* The colour-mode button cycles light, dark, system. Its name says which mode is on
   * ("Color mode: Dark"), in the page's language (the labels come from the theme's catalog). */
  function nameModeButtons() {
    var mode = document.documentElement.dataset.mode || "auto";
    document.querySelectorAll(".theme-switch-button[data-label-" + mode + "]")
      .forEach(function (button) {
        if (!button.dataset.labelBase) button.dataset.labelBase = button.getAttribute("aria-label");
        var base = button.dataset.labelBase;
        button.setAttribute("aria-label", base + ": " + button.getAttribute("data-label-" + mode));
      });
  }

  /* The sidebar's expand/collapse toggles (a <summary> beside each chapter's link, shown when the
   * chapter has sections) hold only a chevron icon, so they have no name. Each is named after
   * its chapter, in the page's language; aria-expanded comes with <details>. */
  var SECTIONS_OF = {en: "Sections of %s", zh: "%s 的各节"};
  function nameTocToggles() {
    var language = (document.documentElement.lang || "en").slice(0, 2);
    var pattern = SECTIONS_OF[language] || SECTIONS_OF.en;
    document.querySelectorAll(".bd-sidebar-primary li.has-children > details > summary")
      .forEach(function (summary) {
        var link = summary.parentElement.parentElement.querySelector(":scope > a");
        var text = link && link.textContent.replace(/\s+/g, " ").trim();
        if (text && !summary.hasAttribute("aria-label")) {
          summary.setAttribute("aria-label", pattern.replace("%s", text));
        }
      });
  }

  /* Equations are kept out of the Tab order (_ext/accessibility.py), but a display equation
   * wider than the column scrolls sideways, and a keyboard user can only scroll what can take
   * focus (WCAG 2.1.1): such an equation, and only while it overflows, is a Tab stop. */
  function focusWideEquations() {
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (equation) {
      var wide = equation.scrollWidth > equation.clientWidth + 1;
      if (wide && !equation.hasAttribute("tabindex")) {
        equation.setAttribute("tabindex", "0");
        equation.dataset.scrollFocus = "";
      } else if (!wide && "scrollFocus" in equation.dataset) {
        equation.removeAttribute("tabindex");
        delete equation.dataset.scrollFocus;
      }
    });
  }
  var resizing;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(focusWideEquations, 200);
  });

  function repair() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(focusWideEquations);
    }
    nameTocToggles();
    nameToggleButtons();
    nameModeButtons();
  }

  // This script is deferred: it runs before DOMContentLoaded, whose listeners run in the order
  // they were added, so sphinx-togglebutton's (added by a script in the page's head) has made
  // its buttons when repair runs. Every repair can run again; "load" catches anything later.
  if (document.readyState === "complete") {
    repair();
  } else {
    document.addEventListener("DOMContentLoaded", repair);
    window.addEventListener("load", repair);
  }
  new MutationObserver(nameModeButtons)
    .observe(document.documentElement, {attributes: true, attributeFilter: ["data-mode"]});
})();
