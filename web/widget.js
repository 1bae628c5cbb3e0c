/*
 * The Essex domestic abuse information assistant: a chat widget with a quick exit.
 *
 * Embed with one tag (the widget appears where the tag is):
 *   <script src="https://SERVER/webhooks/web/static/widget.js" defer
 *           data-server="https://SERVER/webhooks/web"
 *           data-exit-url="https://www.bbc.co.uk/weather"
 *           data-title="Talk to us" data-colour="#4b2a6b"></script>
 *
 * Safety first: the conversation lives in this page's memory only (no cookies, no storage).
 * "Exit now", the Escape key, or Shift pressed three times hides the page at once, clears the
 * chat, tells the server to forget it, and replaces this page in the history with a neutral one.
 * Every message is shown as text, never as HTML; only phone numbers and a short list of https
 * sites become links. With data-exit-only, only the quick exit is set up (no chat).
 * The language menu (issue 18) changes the widget's own words and asks the assistant to answer
 * in that language; data-language="pl" starts in it. The translations are not yet reviewed by
 * native speakers (docs/content-checks.md).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var data = script.dataset;
  var server = (data.server || new URL(script.src).origin + "/webhooks/web").replace(/\/+$/, "");
  var exitUrl = data.exitUrl || "https://www.bbc.co.uk/weather";
  var title = data.title || "Get information and support";
  var colour = data.colour || "#4b2a6b";
  var exitOnly = "exitOnly" in data;

  // The widget's own words, per language (content/languages.yml has the same codes).
  var LABELS = {
    en: { name: "English", exit: "Exit now", send: "Send", type: "Type your message",
      note: "If you are in danger, call 999. To leave this page quickly, press Esc or Exit now.",
      typing: "The assistant is typing\u2026", language: "Language" },
    pl: { name: "Polski", exit: "Wyjdź teraz", send: "Wyślij", type: "Wpisz wiadomość",
      note: "Jeśli grozi Ci niebezpieczeństwo, dzwoń pod 999. Aby szybko opuścić stronę, naciśnij Esc albo Wyjdź teraz.",
      typing: "Asystent pisze\u2026", language: "Język" },
    ro: { name: "Română", exit: "Ieșire rapidă", send: "Trimite", type: "Scrieți mesajul",
      note: "Dacă sunteți în pericol, sunați la 999. Pentru a părăsi pagina repede, apăsați Esc sau Ieșire rapidă.",
      typing: "Asistentul scrie\u2026", language: "Limba" },
    lt: { name: "Lietuvių", exit: "Išeiti dabar", send: "Siųsti", type: "Parašykite žinutę",
      note: "Jei jums gresia pavojus, skambinkite 999. Norėdami greitai išeiti, spauskite Esc arba Išeiti dabar.",
      typing: "Asistentas rašo\u2026", language: "Kalba" },
    pt: { name: "Português", exit: "Sair já", send: "Enviar", type: "Escreva a sua mensagem",
      note: "Se estiver em perigo, ligue 999. Para sair depressa desta página, carregue em Esc ou Sair já.",
      typing: "O assistente está a escrever\u2026", language: "Língua" },
    tr: { name: "Türkçe", exit: "Hemen çık", send: "Gönder", type: "Mesajınızı yazın",
      note: "Tehlikedeyseniz 999'u arayın. Sayfadan hızla çıkmak için Esc'e veya Hemen çık'a basın.",
      typing: "Asistan yazıyor\u2026", language: "Dil" }
  };
  var language = LABELS[data.language] ? data.language : "en";

  var LINK_HOSTS = ["www.essex.police.uk", "www.gov.uk", "stopncii.org", "www.samaritans.org",
    "www.essexvictimsgateway.org", "www.essexcompass.org.uk", "www.thechange-project.org",
    "www.childline.org.uk"];
  // UK numbers as our answers write them ("0808 2000 247", "116 123"), 999 and 101.
  var PHONE = /(\b0\d{2,4}(?: \d{3,6}){1,2}\b|\b116 123\b|\b999\b|\b101\b|\b85258\b|https:\/\/[^\s)]+)/g;
  var SHIFT_PRESSES = 3;
  var SHIFT_WINDOW_MS = 5000;

  var token = null;
  var exiting = false;
  var shiftTimes = [];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  // ------------------------------------------------------------------ building the widget
  var root = el("section", "daw");
  root.setAttribute("aria-label", title);
  root.style.setProperty("--daw-colour", colour);

  var header = el("div", "daw-header");
  var heading = el("h2", "daw-title", title);
  var exitButton = el("button", "daw-exit", "Exit now");
  exitButton.type = "button";
  exitButton.setAttribute("data-quick-exit", "");
  var languageMenu = el("select", "daw-language");
  Object.keys(LABELS).forEach(function (code) {
    var option = el("option", null, LABELS[code].name);
    option.value = code;
    option.lang = code;
    languageMenu.appendChild(option);
  });
  languageMenu.value = language;
  header.appendChild(heading);
  header.appendChild(languageMenu);
  header.appendChild(exitButton);

  var note = el("p", "daw-note",
    "If you are in danger, call 999. To leave this page quickly, press Esc or Exit now.");
  var log = el("div", "daw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "Conversation");
  log.tabIndex = 0;
  var typing = el("p", "daw-typing", "The assistant is typing\u2026");
  typing.hidden = true;
  var error = el("p", "daw-error");
  error.setAttribute("role", "alert");

  var form = el("form", "daw-form");
  var label = el("label", "daw-label", "Type your message");
  label.htmlFor = "daw-input";
  var input = el("input", "daw-input");
  input.id = "daw-input";
  input.type = "text";
  input.autocomplete = "off";
  input.maxLength = 1000;
  var send = el("button", "daw-send", "Send");
  send.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);

  [header, note, log, typing, error, form].forEach(function (part) { root.appendChild(part); });

  function showLabels() {
    var words = LABELS[language];
    exitButton.textContent = words.exit;
    send.textContent = words.send;
    label.textContent = words.type;
    note.textContent = words.note;
    typing.textContent = words.typing;
    languageMenu.setAttribute("aria-label", words.language);
    root.lang = language;
  }
  showLabels();

  if (!exitOnly) {
    var styles = document.createElement("link");
    styles.rel = "stylesheet";
    styles.href = server + "/static/widget.css";
    document.head.appendChild(styles);
    script.parentNode.insertBefore(root, script.nextSibling);
  }

  // ------------------------------------------------------------------ showing messages
  function linkFor(match) {
    if (match.indexOf("https://") === 0) {
      try {
        var url = new URL(match);
        return LINK_HOSTS.indexOf(url.hostname) >= 0 ? url.href : null;
      } catch (e) {
        return null;
      }
    }
    if (match === "85258") { return "sms:85258"; }
    return "tel:" + match.replace(/ /g, "");
  }

  function appendText(parent, text) {
    var last = 0;
    text.replace(PHONE, function (match, _group, offset) {
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var href = linkFor(match);
      if (href) {
        var link = el("a", "daw-link", match);
        link.href = href;
        if (href.indexOf("https://") === 0) { link.rel = "noopener noreferrer"; }
        parent.appendChild(link);
      } else {
        parent.appendChild(document.createTextNode(match));
      }
      last = offset + match.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function show(who, text) {
    var bubble = el("div", "daw-msg daw-" + who);
    var speaker = el("span", "daw-visually-hidden", who === "bot" ? "Assistant: " : "You: ");
    bubble.appendChild(speaker);
    text.split(/\n{2,}/).forEach(function (paragraph) {
      var p = el("p", "daw-para");
      appendText(p, paragraph);
      bubble.appendChild(p);
    });
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
  }

  function showButtons(buttons) {
    var group = el("div", "daw-buttons");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Choose an answer");
    buttons.forEach(function (button) {
      var b = el("button", "daw-choice", button.title);
      b.type = "button";
      b.addEventListener("click", function () {
        group.remove();
        say(button.title, { payload: button.payload });
      });
      group.appendChild(b);
    });
    log.appendChild(group);
  }

  // ------------------------------------------------------------------ talking to the server
  function post(path, body) {
    return fetch(server + path, {
      method: "POST",
      // text/plain: a "simple" request, so the browser needs no CORS preflight.
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          throw new Error(json.error || "Sorry, something went wrong. If you are in danger, call 999.");
        }
        return json;
      });
    });
  }

  function startSession() {
    return post("/session", {}).then(function (json) { token = json.token; });
  }

  function say(shown, body) {
    if (exiting) { return Promise.resolve(); }
    // Earlier options no longer fit the conversation once the person has moved on.
    Array.prototype.forEach.call(log.querySelectorAll(".daw-buttons"), function (group) {
      group.remove();
    });
    if (shown) { show("user", shown); }
    error.textContent = "";
    typing.hidden = false;
    var ready = token ? Promise.resolve() : startSession();
    return ready.then(function () {
      body.token = token;
      return post("/message", body);
    }).then(function (json) {
      (json.messages || []).forEach(function (message) {
        if (message.text) { show("bot", message.text); }
        if (message.buttons && message.buttons.length) { showButtons(message.buttons); }
      });
    }).catch(function (e) {
      error.textContent = e.message;
    }).then(function () {
      typing.hidden = true;
    });
  }

  languageMenu.addEventListener("change", function () {
    language = languageMenu.value;
    showLabels();
    say(LABELS[language].name, { message: "language " + language });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    say(text, { message: text });
  });

  // ------------------------------------------------------------------ quick exit
  function quickExit() {
    if (exiting) { return; }
    exiting = true;
    document.documentElement.style.visibility = "hidden";
    document.title = "";
    while (log.firstChild) { log.removeChild(log.firstChild); }
    input.value = "";
    if (token && navigator.sendBeacon) { navigator.sendBeacon(server + "/forget", token); }
    token = null;
    window.location.replace(exitUrl);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-quick-exit]") : null;
    if (target) {
      event.preventDefault();
      quickExit();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { quickExit(); }
  });

  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") { shiftTimes = []; return; }
    var now = Date.now();
    shiftTimes = shiftTimes.filter(function (t) { return now - t < SHIFT_WINDOW_MS; });
    shiftTimes.push(now);
    if (shiftTimes.length >= SHIFT_PRESSES) { quickExit(); }
  });

  if (!exitOnly) {
    var greeting = say(null, language === "en" ? { payload: "/greet" }
      : { message: "language " + language });
    if (language !== "en") { greeting.then(function () { say(null, { payload: "/greet" }); }); }
  }
}());
